"""The report's charts: departments compared, and each department's indicators (worst first).

Built with strategy_app.charts from the report's figures (services.metrics); two queries
for the charted indicators (their milestones, actuals) whatever the size of the data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Department, Indicator, Measurement
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import numbers

if TYPE_CHECKING:
    from strategy_app.exports.report import Section

try:
    from strategy_app import charts
except ImportError:  # pragma: no cover - the charts module of issue 5 is not there
    charts = None

# Charts per department: a page holds a scorecard and a grid of this many small plots.
CHARTED = 6
_WORST_FIRST = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


def _charted(section: Section) -> list:
    """The indicators a department's chart shows: the worst first, CHARTED at most."""
    ranked = sorted(
        section.indicators, key=lambda line: (_WORST_FIRST[line.result.status], line.id)
    )
    return ranked[:CHARTED]


def departments(sections: list[tuple[Department, rules.Scorecard, float | None]]) -> Any:
    """The departments compared (name, scorecard, mean progress of the indicators listed);
    None without charts."""
    if charts is None:
        return None
    rows = [
        charts.DepartmentRow(
            name=d.name,
            execution=card.execution,
            results=results,
            plans=card.plans,
            overdue=card.overdue,
        )
        for d, card, results in sections
    ]
    return charts.department_comparison(rows, surface=charts.PRINT)


def by_department(
    sections: list[Section], indicators: dict[int, Indicator], as_of: date, today: date
) -> dict[int, tuple[dict[str, Any], int]]:
    """Each section's chart of its worst indicators, with how many it charts (none for a
    section without indicators, or without charts): two queries whatever the number of
    sections. indicators holds the rows of every indicator the sections list."""
    if charts is None:
        return {}
    picked = {s.department.id: _charted(s) for s in sections}
    charted = [indicators[line.id] for lines in picked.values() for line in lines]
    metrics.load_milestones(charted)
    points: dict[int, list[tuple]] = defaultdict(list)
    if charted:
        for m in db.session.execute(
            sa.select(Measurement.indicator_id, Measurement.date, Measurement.value)
            .where(Measurement.indicator_id.in_([i.id for i in charted]), Measurement.date <= as_of)
            .order_by(Measurement.indicator_id, Measurement.date)
        ):
            points[m.indicator_id].append((m.date, m.value))
    found = {}
    for department_id, lines in picked.items():
        if not lines:
            continue
        items = []
        for line in lines:
            i = indicators[line.id]
            figure = charts.expected_vs_actual(
                rules.IndicatorSpec.of(i),
                points[i.id],
                as_of,
                i.name,
                i.unit,
                today=today,
                surface=charts.PRINT,
                decimals=numbers.decimals_of(i),
            )
            items.append((i.name, figure))
        found[department_id] = (
            charts.small_multiples(
                items,
                columns=2,
                title="Indicators: expected vs actual (the worst first)",
                surface=charts.PRINT,
            ),
            len(lines),
        )
    return found
