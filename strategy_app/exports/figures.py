"""The report's charts: departments compared, and each department's indicators (worst first).

Built with strategy_app.charts from the report's figures (services.metrics); three queries
for the charted indicators (their rows, milestones, actuals) whatever the size of the data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Indicator, Measurement
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import numbers

if TYPE_CHECKING:
    from strategy_app.exports.report import Report, Section

try:
    from strategy_app import charts
except ImportError:  # pragma: no cover - the charts module of issue 5 is not there
    charts = None

# Charts per department: a page holds a scorecard and a grid of this many small plots.
CHARTED = 6
_WORST_FIRST = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


def _results(section: Section) -> float | None:
    """Mean progress of the indicators the department's scorecard counts."""
    return rules.mean(line.result.progress for line in section.indicators)


def _charted(section: Section) -> list:
    """The indicators a department's chart shows: the worst first, CHARTED at most."""
    ranked = sorted(
        section.indicators, key=lambda line: (_WORST_FIRST[line.result.status], line.id)
    )
    return ranked[:CHARTED]


def build(report: Report) -> dict[str, Any] | None:
    """The figures by name (by_department and charted by department id); None without charts."""
    if charts is None:
        return None
    rows = [
        charts.DepartmentRow(
            name=s.department.name,
            execution=s.scorecard.execution,
            results=_results(s),
            plans=s.scorecard.plans,
            overdue=s.scorecard.overdue,
        )
        for s in report.sections
    ]
    picked = {s.department.id: _charted(s) for s in report.sections}
    ids = [line.id for lines in picked.values() for line in lines]
    indicators = (
        {i.id: i for i in db.session.scalars(sa.select(Indicator).where(Indicator.id.in_(ids)))}
        if ids
        else {}
    )
    metrics.load_milestones(indicators.values())
    points: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        for m in db.session.execute(
            sa.select(Measurement.indicator_id, Measurement.date, Measurement.value)
            .where(Measurement.indicator_id.in_(ids), Measurement.date <= report.as_of)
            .order_by(Measurement.indicator_id, Measurement.date)
        ):
            points[m.indicator_id].append((m.date, m.value))
    by_department = {}
    for department_id, lines in picked.items():
        if not lines:
            continue
        items = []
        for line in lines:
            i = indicators[line.id]
            figure = charts.expected_vs_actual(
                rules.IndicatorSpec.of(i),
                points[i.id],
                report.as_of,
                i.name,
                i.unit,
                today=today(),
                surface=charts.PRINT,
                decimals=numbers.decimals_of(i),
            )
            items.append((i.name, figure))
        by_department[department_id] = charts.small_multiples(
            items,
            columns=2,
            title="Indicators: expected vs actual (the worst first)",
            surface=charts.PRINT,
        )
    return {
        "departments": charts.department_comparison(rows, surface=charts.PRINT),
        "by_department": by_department,
        "charted": {department_id: len(lines) for department_id, lines in picked.items()},
    }
