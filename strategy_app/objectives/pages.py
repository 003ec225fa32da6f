"""The charts of the indicator, objective and plan pages: expected vs actual, small multiples.

Figures come from strategy_app.charts and every number from services.rules; what is loaded
here is loaded in one query for any number of indicators (their actuals; milestones in one
more when they are not loaded yet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.extensions import db
from strategy_app.models import Indicator, Measurement
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import numbers

Points = dict[int, list[tuple[date, float]]]


def actual_points(indicator_ids: Iterable[int], as_of: date) -> Points:
    """Every actual dated on or before as_of of the indicators, in date order (one query)."""
    ids = list(indicator_ids)
    points: Points = defaultdict(list)
    if not ids:
        return points
    for r in db.session.execute(
        sa.select(Measurement.indicator_id, Measurement.date, Measurement.value)
        .where(Measurement.indicator_id.in_(ids), Measurement.date <= as_of)
        .order_by(Measurement.indicator_id, Measurement.date)
    ):
        points[r.indicator_id].append((r.date, r.value))
    return points


def evaluate(
    indicators: Iterable[Indicator], points: Points, as_of: date
) -> dict[int, rules.IndicatorResult]:
    """Each indicator at as_of from its actuals (as metrics.evaluate_indicators, no query)."""
    return {
        i.id: rules.evaluate(rules.IndicatorSpec.of(i), rules.actual(points[i.id], as_of), as_of)
        for i in indicators
    }


def panel_title(indicator: Indicator) -> str:
    """An indicator's name and unit, e.g. "First-contact resolution (%)"."""
    return f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name


def figure(indicator: Indicator, points: Sequence[tuple[date, float]], as_of: date) -> dict:
    """The expected-vs-actual figure of one indicator (its milestones loaded) at as_of."""
    return charts.expected_vs_actual(
        rules.IndicatorSpec.of(indicator),
        points,
        as_of,
        indicator.name,
        indicator.unit,
        today=today(),
        decimals=numbers.decimals_of(indicator),
    )


def grid(
    indicators: Sequence[Indicator], points: Points, as_of: date, title: str
) -> dict[str, Any]:
    """Small multiples of the indicators, one panel each titled with its name and unit."""
    items = [(panel_title(i), figure(i, points[i.id], as_of)) for i in indicators]
    return charts.small_multiples(items, columns=2, title=title)


def forecast_sentence(
    spec: rules.IndicatorSpec, unit: str, points: Sequence[tuple[date, float]], forecast: str | None
) -> str:
    """The forecast in words, from the date rules.forecast_date gave the figure."""
    target = f"the target of {charts.fmt_number(spec.target_value)}{f' {unit}' if unit else ''}"
    due = spec.target_date.isoformat()
    if spec.direction == "maintain":
        return "No forecast: this indicator keeps a level rather than reaching a target."
    if len({d for d, _ in points}) < 2:
        return "No forecast yet: it takes actuals on two dates or more."
    if forecast is None:
        return f"Forecast: not on course to reach {target} — the actuals' trend never gets there."
    if points and forecast <= points[-1][0].isoformat():
        return f"Forecast: {target} was reached on {forecast}."
    if forecast > due:
        return (
            f"Forecast: not on course — at the actuals' trend it reaches {target} on {forecast},"
            f" after its target date {due}."
        )
    return f"Forecast: will reach {target} by {forecast} (target date {due})."


@dataclass
class IndicatorChart:
    """What the indicator page shows of one indicator at as_of."""

    figure: dict[str, Any]
    result: rules.IndicatorResult
    status_line: str
    forecast_line: str


def indicator_chart(indicator: Indicator, as_of: date) -> IndicatorChart:
    """The indicator's figure, result and status and forecast in words (one query, plus
    one for its milestones)."""
    points = actual_points([indicator.id], as_of)[indicator.id]
    spec = rules.IndicatorSpec.of(indicator)
    result = rules.evaluate(spec, rules.actual(points, as_of), as_of)
    drawn = figure(indicator, points, as_of)
    meta = drawn["layout"]["meta"]
    status = f"{charts.status_text(result.status)} on {as_of.isoformat()}"
    if result.actual is not None:
        status += f": actual {meta['actual_text']} against {meta['expected_text']} expected."
    else:
        status += ": no actual on or before that date."
    return IndicatorChart(
        figure=drawn,
        result=result,
        status_line=status,
        forecast_line=forecast_sentence(spec, indicator.unit, points, meta["forecast"]),
    )


def indicator_charts(indicators: Sequence[Indicator], as_of: date) -> dict[str, Any]:
    """Small multiples of some indicators at as_of, for a page that lists them (the plan's):
    one query for their actuals, one for their milestones unless loaded already."""
    items = list(indicators)
    metrics.load_milestones(i for i in items if "milestones" in sa.inspect(i).unloaded)
    points = actual_points((i.id for i in items), as_of)
    return grid(items, points, as_of, "Expected vs actual")
