"""Expected versus actual for one indicator, and small multiples of several."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from strategy_app.charts.base import (
    ACTUAL_COLOUR,
    BAND_COLOUR,
    EXPECTED_COLOUR,
    FORECAST_COLOUR,
    MARKER_COLOUR,
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
from strategy_app.charts.memo import remembered
from strategy_app.charts.style import (
    CHAR_WIDTH,
    LINE,
    PAGE,
    Surface,
    axis,
    config,
    responsive,
    shorten,
    title_height,
    wrap,
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


def _traces(spec, points, as_of, result, unit, s: Surface, decimals=None) -> list[dict[str, Any]]:
    """Tolerance band, expected line, actuals (status by symbol), latest status, forecast."""

    def n(value: float | None) -> str:
        return fmt_number(value, decimals)

    half = spec.tolerance * rules.span(spec)
    u = f" {unit}" if unit else ""
    latest = points[-1] if points else None
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
            "name": plain(f"Tolerance ± {n(half)}{u}"),
            "legendgroup": "band",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": x,
            "y": expected,
            "name": "Expected",
            "legendgroup": "expected",
            "line": {"color": EXPECTED_COLOUR, "width": s.line},
            "marker": {"symbol": "diamond", "size": [s.marker if d in bends else 0 for d in xs]},
            "text": [plain(f"{n(v)}{u}") for v in expected],
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
                "line": {"color": ACTUAL_COLOUR, "width": s.line},
                "marker": {
                    "size": s.marker + 1,
                    "color": [STATUS_COLOURS[st] for st in statuses],
                    "symbol": [STATUS_SYMBOLS[st] for st in statuses],
                    "line": {"color": ACTUAL_COLOUR, "width": 1},
                },
                "text": [
                    plain(f"{n(v)}{u} · {status_text(st)}")
                    for (_, v), st in zip(points, statuses, strict=True)
                ],
                "hovertemplate": "%{x|%Y-%m-%d}<br>Actual %{text}<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [iso(latest[0])],
                "y": [latest[1]],
                "name": f"Status on {iso(as_of)}: {status_text(result.status)}",
                "legendgroup": "latest",
                "marker": {
                    "size": s.marker * 2,
                    "color": STATUS_COLOURS[result.status],
                    "symbol": STATUS_SYMBOLS[result.status],
                    "line": {"color": ACTUAL_COLOUR, "width": 2},
                },
                "hovertemplate": "%{x|%Y-%m-%d}<br>Latest actual %{customdata}<extra></extra>",
                "customdata": [plain(f"{n(latest[1])}{u} · {status_text(result.status)}")],
            }
        )
    when, _ = forecast_text(spec, points)
    if when is not None and latest and when > latest[0]:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [iso(latest[0]), iso(when)],
                "y": [latest[1], spec.target_value],
                "name": "Forecast",
                "legendgroup": "forecast",
                "line": {"color": FORECAST_COLOUR, "width": s.line, "dash": "dash"},
                "marker": {"symbol": "star", "size": [0, s.marker + 3], "color": FORECAST_COLOUR},
                "text": [n(latest[1]), n(spec.target_value)],
                "hovertemplate": "%{x|%Y-%m-%d}<br>Forecast %{text}<extra></extra>",
            }
        )
    return traces


@remembered
def expected_vs_actual(
    spec: rules.IndicatorSpec,
    measurements: Iterable[tuple[date, float]],
    as_of: date,
    name: str,
    unit: str,
    *,
    today: date | None = None,
    surface: Surface = PAGE,
    decimals: int | None = None,
) -> dict[str, Any]:
    """One indicator as of a date: expected line, tolerance band, actuals, forecast, markers.

    Actuals dated after as_of are left out (DESIGN §3). The as_of line is labelled "today"
    when `today` is given and equal to as_of, "as of <date>" otherwise. Numbers are written
    with `decimals` decimals (the indicator's display precision) when given.
    """

    def n(value: float | None) -> str:
        return fmt_number(value, decimals)

    points = sorted((d, float(v)) for d, v in measurements if d <= as_of)
    latest = points[-1] if points else None
    result = rules.evaluate(spec, latest, as_of)
    half = spec.tolerance * rules.span(spec)
    u = f" {unit}" if unit else ""
    bends = sorted({spec.baseline_date, *(d for d, _ in spec.milestones), spec.target_date})
    when, forecast = forecast_text(spec, points)
    if latest:
        now = (
            f"{status_text(result.status)} on {iso(as_of)}: actual {n(latest[1])}{u}"
            f" ({iso(latest[0])}), expected {n(result.expected)}{u}"
        )
    else:
        now = f"{status_text(result.status)} on {iso(as_of)}: no actual yet"

    def build(s: Surface) -> dict[str, Any]:
        target_shape, target_note = vertical_marker(
            iso(spec.target_date), f"target {n(spec.target_value)}{u}", surface=s
        )
        as_of_shape, as_of_note = vertical_marker(
            iso(as_of), "today" if today == as_of else f"as of {iso(as_of)}", top=False, surface=s
        )
        # the two labels sit on the left of their line when the lines are close together
        target_note["xanchor"] = "right" if spec.target_date > as_of else "left"
        as_of_note["xanchor"] = "left" if spec.target_date > as_of else "right"
        drawn = {
            "data": _traces(spec, points, as_of, result, unit, s, decimals),
            "layout": layout(
                name,
                "Date",
                plain(unit or "Value"),
                subtitle=f"{plain(now)}<br>Forecast: {forecast}",
                shapes=[target_shape, as_of_shape],
                annotations=[target_note, as_of_note],
                surface=s,
            ),
            "config": config(s),
        }
        drawn["layout"]["xaxis"]["type"] = "date"
        return drawn

    figure = responsive(build, surface)
    actual_at = dict(points)
    statuses = [rules.status(spec, v, d) for d, v in points]
    status_at = dict(zip((d for d, _ in points), statuses, strict=True))
    rows = [
        [
            iso(d),
            f"{n(rules.expected(spec, d))}{u}",
            f"{n(actual_at[d])}{u}" if d in actual_at else "—",
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
        expected_text=f"{n(result.expected)}{u}",
        actual_text=f"{n(latest[1])}{u} ({iso(latest[0])})" if latest else "—",
        forecast=iso(when) if when else None,
        forecast_text=forecast,
        band=[-half, half],
        name=name,
        unit=unit,
    )


GAP = 0.1  # the share of the width between two columns of small multiples (room for y ticks)


def _heading(name: str, meta: dict[str, Any], chars: int) -> str:
    """A panel's heading in two lines: its name (shortened to the panel's width), then its
    status and forecast."""
    status = status_text(meta.get("status", rules.NO_DATA))
    when = meta.get("forecast")
    if when:
        late = " (late)" if "after the target date" in meta.get("forecast_text", "") else ""
        reached = "target reached" if "reached on" in meta.get("forecast_text", "") else "forecast"
        status += f" · {reached} {when}{late}"
    return f"{plain(shorten(name, chars))}<br>{wrap(status, chars)}"


def _legend_rows(names: list[str], s: Surface) -> int:
    """How many rows the legend's items take on the narrowest chart of the surface."""
    rows, used = 1, 0.0
    for name in names:
        item = len(name) * s.legend * CHAR_WIDTH + 30 + 12  # the text, its symbol, a gap
        if used and used + item > s.width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _grid(
    items: list[tuple[str, dict[str, Any]]],
    columns: int,
    title: str,
    subtitle: str,
    s: Surface,
    heading: bool = True,
    legend_names: list[str] | None = None,
) -> dict[str, Any]:
    """The layout of small multiples on a surface, laid out in pixels so nothing overlaps.

    From the top: the title band, then for each row the panels' headings, their plots and
    their date ticks; the legend's band at the bottom (as many rows as its items need).
    """
    columns = max(1, min(columns, len(items) or 1))
    rows = max(1, math.ceil(len(items) / columns))
    panel_width = s.width * (1 - GAP * (columns - 1)) / columns
    headings = [
        _heading(n, f["layout"].get("meta", {}), s.chars(s.note, panel_width)) for n, f in items
    ]
    heading_px = max((h.count("<br>") + 1 for h in headings), default=1) * s.note * LINE + 8
    ticks_px = s.font * LINE * 1.5 + 8
    # a slide with one row of plots gives them its height
    panel = s.panel * 2 if rows == 1 and not s.scrolls else s.panel
    band = heading_px + panel + ticks_px
    paper = rows * band
    top = title_height(title if heading else "", subtitle, s)
    legend_rows = _legend_rows(legend_names or [], s)
    bottom = int(s.legend * LINE * max(legend_rows, 2 if s.columns == 1 else 1) + 24)
    base = layout(title, "", "", height=int(top + paper + bottom), subtitle=subtitle, surface=s)
    del base["xaxis"], base["yaxis"]
    if not heading:  # the page or slide heads it already; the title stays in meta
        base["title"]["text"] = ""
    base["margin"].update(t=top, b=bottom)
    base["meta"]["grid"] = {"rows": rows, "columns": columns}
    width = (1 - GAP * (columns - 1)) / columns
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for k, ((_, figure), heading) in enumerate(zip(items, headings, strict=True)):
        row, col = divmod(k, columns)
        n = "" if k == 0 else str(k + 1)
        xa, ya = f"x{n}", f"y{n}"
        left = col * (width + GAP)
        plot_top = 1 - (row * band + heading_px) / paper
        plot_bottom = 1 - (row * band + heading_px + panel) / paper
        source = figure["layout"]
        base[f"xaxis{n}"] = {
            **axis("", s),
            "type": "date",
            "nticks": 4 if s.columns == 1 or columns > 2 else 5,
            # each date to the right of its tick: the first one clear of the value axis
            "ticklabelposition": "outside right",
            "domain": [left, left + width],
            "anchor": ya,
        }
        base[f"yaxis{n}"] = {
            **axis(source["yaxis"]["title"]["text"], s),
            "domain": [max(plot_bottom, 0), min(plot_top, 1)],
            "anchor": xa,
            "nticks": 5,
        }
        for shape in source.get("shapes", []):
            shapes.append({**shape, "xref": xa, "yref": f"{ya} domain"})
        notes.append(
            {
                "text": heading,
                "xref": "paper",
                "yref": "paper",
                "x": left,
                "y": min(plot_top, 1) + 4 / paper,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": s.note},
            }
        )
    if not items:
        notes.append(empty_note("No indicators yet.", s))
    base.update(shapes=shapes, annotations=notes)
    return base


def small_multiples(
    items: list[tuple[str, dict[str, Any]]],
    columns: int | None = None,
    *,
    title: str = "Indicators: expected vs actual",
    subtitle: str = "",
    surface: Surface = PAGE,
    heading: bool = True,
) -> dict[str, Any]:
    """Several expected_vs_actual figures as one grid of small plots with a shared legend.

    items are (title, figure) pairs; each plot is headed with its name, status and forecast.
    On a phone the plots stand in one column.
    """
    data: list[dict[str, Any]] = []
    table = []
    # each legend entry once, from the first panel that draws it (the first may have no actual)
    legended: set[str] = set()
    for k, (name, figure) in enumerate(items, start=1):
        n = "" if k == 1 else str(k)
        for trace in figure["data"]:
            group = trace.get("legendgroup", "")
            shown = (
                group in ("band", "expected", "actual", "forecast")
                and group not in legended
                and trace.get("showlegend", True)
            )
            if shown:
                legended.add(group)
            extra = {"name": "Tolerance band"} if group == "band" else {}
            data.append({**trace, **extra, "xaxis": f"x{n}", "yaxis": f"y{n}", "showlegend": shown})
        meta = figure["layout"].get("meta", {})
        table.append(
            [
                name,
                status_text(meta.get("status", rules.NO_DATA)),
                meta.get("expected_text", "—"),
                meta.get("actual_text", "—"),
                meta.get("forecast_text", ""),
            ]
        )

    if items:  # what the dotted lines of every panel are (their labels are left out here)
        notes = items[0][1]["layout"].get("annotations", [])
        now = notes[1]["text"] if len(notes) > 1 else "today"
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [None],
                "y": [None],
                "xaxis": "x",
                "yaxis": "y",
                "name": f"Dotted lines: {now}, target date",
                "line": {"color": MARKER_COLOUR, "width": 2, "dash": "dot"},
                "hoverinfo": "skip",
                "showlegend": True,
            }
        )
    names = [t["name"] for t in data if t.get("showlegend")]

    def build(s: Surface) -> dict[str, Any]:
        wanted = columns if columns and s.columns > 1 else s.columns
        return {
            "data": data,
            "layout": _grid(items, wanted, title, subtitle, s, heading, names),
            "config": config(s),
        }

    figure = responsive(build, surface)
    return with_table(figure, ["Indicator", "Status", "Expected", "Actual", "Forecast"], table)
