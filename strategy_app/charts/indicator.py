"""Expected versus actual for one indicator, and small multiples of several."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from datetime import date
from typing import Any

from strategy_app.charts.base import (
    ACTUAL_COLOUR,
    BAND_COLOUR,
    EXPECTED_COLOUR,
    FORECAST_COLOUR,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    empty_note,
    fmt_number,
    iso,
    layout,
    plain,
    status_text,
    vertical_marker,
    with_table,
)
from strategy_app.services.evaluation import rules


def forecast_text(spec: rules.IndicatorSpec, points: list[tuple[date, float]]) -> tuple:
    """(forecast date or None, what to say about it) from rules.forecast_date."""
    if spec.direction == "maintain":
        return None, "none for an indicator that maintains a level"
    if len({d for d, _ in points}) < 2:
        return None, "too few actuals for a forecast"
    when = rules.forecast_date(points, spec)
    if when is None:
        return None, "not on course to reach the target"
    if when <= points[-1][0]:
        return when, f"target reached on {iso(when)}"
    late = " (after the target date)" if when > spec.target_date else ""
    return when, f"reaches target on {iso(when)}{late}"


def expected_vs_actual(
    spec: rules.IndicatorSpec,
    measurements: Iterable[tuple[date, float]],
    as_of: date,
    name: str,
    unit: str,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """One indicator as of a date: expected line, tolerance band, actuals, forecast, markers.

    Actuals dated after as_of are left out (DESIGN §3). The as_of line is labelled "today"
    when `today` is given and equal to as_of, "as of <date>" otherwise.
    """
    points = sorted((d, float(v)) for d, v in measurements if d <= as_of)
    latest = points[-1] if points else None
    result = rules.evaluate(spec, latest, as_of)
    half = spec.tolerance * rules.span(spec)
    u = f" {unit}" if unit else ""
    bends = sorted({spec.baseline_date, *(d for d, _ in spec.milestones), spec.target_date})
    drawn = [as_of, *(d for d, _ in points[:1] + points[-1:])]
    xs = sorted({*bends, min([*drawn, bends[0]]), max([*drawn, bends[-1]])})
    expected = [rules.expected(spec, d) for d in xs]
    centre = [spec.target_value] * len(xs) if spec.direction == "maintain" else expected
    x = [iso(d) for d in xs]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [c - half for c in centre],
            "line": {"width": 0, "color": BAND_COLOUR},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": "Tolerance band (lower edge)",
            "legendgroup": "band",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "y": [c + half for c in centre],
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "line": {"width": 0, "color": BAND_COLOUR},
            "hoverinfo": "skip",
            "name": plain(f"Tolerance ± {fmt_number(half)}{u}"),
            "legendgroup": "band",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": expected,
            "name": "Expected",
            "legendgroup": "expected",
            "line": {"color": EXPECTED_COLOUR, "width": 2},
            "marker": {"symbol": "diamond", "size": [8 if d in bends else 0 for d in xs]},
            "text": [plain(f"{fmt_number(v)}{u}") for v in expected],
            "hovertemplate": "%{x|%Y-%m-%d}<br>Expected %{text}<extra></extra>",
        },
    ]
    statuses = [rules.status(spec, v, d) for d, v in points]
    if points:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [iso(d) for d, _ in points],
                "y": [v for _, v in points],
                "name": "Actual",
                "legendgroup": "actual",
                "line": {"color": ACTUAL_COLOUR, "width": 2},
                "marker": {
                    "size": 10,
                    "color": [STATUS_COLOURS[s] for s in statuses],
                    "symbol": [STATUS_SYMBOLS[s] for s in statuses],
                    "line": {"color": ACTUAL_COLOUR, "width": 1},
                },
                "text": [
                    plain(f"{fmt_number(v)}{u} · {status_text(s)}")
                    for (_, v), s in zip(points, statuses, strict=True)
                ],
                "hovertemplate": "%{x|%Y-%m-%d}<br>Actual %{text}<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": [iso(latest[0])],
                "y": [latest[1]],
                "name": f"Status on {iso(as_of)}: {status_text(result.status)}",
                "legendgroup": "latest",
                "marker": {
                    "size": 18,
                    "color": STATUS_COLOURS[result.status],
                    "symbol": STATUS_SYMBOLS[result.status],
                    "line": {"color": ACTUAL_COLOUR, "width": 2},
                },
                "text": [status_text(result.status)],
                "textposition": "top center",
                "hovertemplate": "%{x|%Y-%m-%d}<br>Latest actual %{customdata}<extra></extra>",
                "customdata": [plain(f"{fmt_number(latest[1])}{u} · {status_text(result.status)}")],
            }
        )
    when, forecast = forecast_text(spec, points)
    if when is not None and latest and when > latest[0]:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [iso(latest[0]), iso(when)],
                "y": [latest[1], spec.target_value],
                "name": f"Forecast: {forecast}",
                "legendgroup": "forecast",
                "line": {"color": FORECAST_COLOUR, "width": 2, "dash": "dash"},
                "marker": {"symbol": "star", "size": [0, 12], "color": FORECAST_COLOUR},
                "hovertemplate": "%{x|%Y-%m-%d}<br>Forecast %{y}<extra></extra>",
            }
        )
    target_shape, target_note = vertical_marker(
        iso(spec.target_date), f"target {fmt_number(spec.target_value)}{u}"
    )
    as_of_shape, as_of_note = vertical_marker(
        iso(as_of), "today" if today == as_of else f"as of {iso(as_of)}", top=False
    )
    if latest:
        now = (
            f"{status_text(result.status)} on {iso(as_of)}: actual {fmt_number(latest[1])}{u}"
            f" ({iso(latest[0])}), expected {fmt_number(result.expected)}{u}"
        )
    else:
        now = f"{status_text(result.status)} on {iso(as_of)}: no actual yet"
    figure = {
        "data": traces,
        "layout": layout(
            name,
            "Date",
            unit or "Value",
            subtitle=f"{plain(now)}<br>Forecast: {forecast}",
            shapes=[target_shape, as_of_shape],
            annotations=[target_note, as_of_note],
        ),
    }
    figure["layout"]["xaxis"]["type"] = "date"
    figure["layout"]["yaxis"]["title"]["text"] = plain(unit or "Value")
    actual_at = dict(points)
    status_at = dict(zip((d for d, _ in points), statuses, strict=True))
    rows = [
        [
            iso(d),
            f"{fmt_number(rules.expected(spec, d))}{u}",
            f"{fmt_number(actual_at[d])}{u}" if d in actual_at else "—",
            status_text(status_at[d]) if d in status_at else "",
        ]
        for d in sorted({*bends, *actual_at})
    ]
    return with_table(
        figure,
        ["Date", "Expected", "Actual", "Status on that date"],
        rows,
        status=result.status,
        expected=result.expected,
        actual=result.actual,
        actual_date=iso(latest[0]) if latest else None,
        expected_text=f"{fmt_number(result.expected)}{u}",
        actual_text=f"{fmt_number(latest[1])}{u} ({iso(latest[0])})" if latest else "—",
        forecast=iso(when) if when else None,
        forecast_text=forecast,
        band=[-half, half],
    )


NARROW_HEADING_CHARS = 44  # characters per line of a plot's heading on a 375 px phone


def _wrapped(text: str, width: int) -> str:
    """Each <br>-separated line of text wrapped at width characters (Plotly does not wrap)."""
    return "<br>".join(
        "<br>".join(textwrap.wrap(line, width, break_long_words=False) or [""])
        for line in text.split("<br>")
    )


def small_multiples(
    items: list[tuple[str, dict[str, Any]]],
    columns: int = 2,
    *,
    title: str = "Indicators: expected vs actual",
) -> dict[str, Any]:
    """Several expected_vs_actual figures as one grid of small plots with a shared legend.

    items are (title, figure) pairs; each plot is titled with its status and forecast.
    """
    columns = max(1, min(columns, len(items) or 1))
    rows = max(1, math.ceil(len(items) / columns))
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    height = 175 + 300 * rows
    base = layout(title, "", "", height=height)
    del base["xaxis"], base["yaxis"]
    # the title, then the legend (two rows on a phone), then the first plot's three-line
    # heading: each in its own band, none over another
    base["margin"]["t"] = 175
    base["legend"].update(yref="container", y=1 - 40 / height, yanchor="top")
    base["grid"] = {"rows": rows, "columns": columns, "pattern": "independent"}
    base["grid"].update({"xgap": 0.15, "ygap": 0.45 if rows > 1 else 0.2})
    table = []
    for k, (name, figure) in enumerate(items, start=1):
        n = "" if k == 1 else str(k)
        xa, ya = f"x{n}", f"y{n}"
        for trace in figure["data"]:
            group = trace.get("legendgroup", "")
            shown = (
                k == 1 and group in ("band", "expected", "actual") and trace.get("showlegend", True)
            )
            extra = {"name": "Tolerance band"} if group == "band" else {}
            data.append({**trace, **extra, "xaxis": xa, "yaxis": ya, "showlegend": shown})
        source = figure["layout"]
        base[f"xaxis{n}"] = {"type": "date", "automargin": True, "nticks": 5}
        base[f"yaxis{n}"] = {"title": source["yaxis"]["title"], "automargin": True}
        for shape in source.get("shapes", []):
            shapes.append({**shape, "xref": xa, "yref": f"{ya} domain"})
        meta = source.get("meta", {})
        notes.append(
            {
                # the forecast on a line of its own, so that a phone's width holds each line
                "text": f"{plain(name)}<br>{status_text(meta.get('status', rules.NO_DATA))}"
                + (f"<br>{meta['forecast_text']}" if meta.get("forecast") else ""),
                "xref": f"{xa} domain",
                "yref": f"{ya} domain",
                "x": 0,
                "y": 1.02,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": 13},
            }
        )
        table.append(
            [
                name,
                status_text(meta.get("status", rules.NO_DATA)),
                meta.get("expected_text", "—"),
                meta.get("actual_text", "—"),
                meta.get("forecast_text", ""),
            ]
        )
    if not items:
        notes.append(empty_note("No indicators yet."))
    base.update(shapes=shapes, annotations=notes)
    # one column on a phone, each plot's heading in smaller type wrapped to its width
    base["meta"]["narrow"]["annotations"] = [
        {**note, "text": _wrapped(note["text"], NARROW_HEADING_CHARS), "font": {"size": 11}}
        for note in notes
    ]
    base["meta"]["narrow"].update(
        grid={"rows": max(len(items), 1), "columns": 1}, height=175 + 300 * max(len(items), 1)
    )
    figure = {"data": data, "layout": base}
    return with_table(figure, ["Indicator", "Status", "Expected", "Actual", "Forecast"], table)
