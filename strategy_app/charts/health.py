"""Service health: the radar of the nine elements (the previous assessment overlaid), and the
overall score over time. Scores (0–100) come in already computed by rules.assessment_scores."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from strategy_app.charts.base import empty_note, fmt_number, iso, layout, plain, with_table
from strategy_app.charts.style import PAGE, SURFACES, Surface, legend
from strategy_app.services.evaluation import rules

CURRENT_COLOUR = "#0d6efd"
PREVIOUS_COLOUR = "#6c757d"
WEAK_COLOUR = "#b02a37"
TICKS = [0, 25, 50, 75, 100]


@dataclass(frozen=True)
class RadarSeries:
    """One assessment on the radar: its name and a score (or None) per element."""

    name: str
    scores: Sequence[float | None]


def score_text(score: float | None) -> str:
    """A 0–100 score for people ("62.5"), or "—" when there is none."""
    return "—" if score is None else fmt_number(round(score, 1))


def _closed(values: list[Any]) -> list[Any]:
    """A radar's polygon closes only when its first point is repeated at the end."""
    return [*values, values[0]] if values else values


def _ticks(names: list[str], width: int) -> dict[str, Any]:
    """Angular tick labels wrapped onto lines of about width characters."""
    wrapped = ["<br>".join(textwrap.wrap(n, width)) or n for n in names]
    return {"tickmode": "array", "tickvals": names, "ticktext": wrapped}


def radar(
    elements: Sequence[str],
    current: RadarSeries,
    previous: RadarSeries | None = None,
    *,
    title: str = "Service health by element",
    height: int = 480,
    surface: Surface | str = PAGE,
) -> dict[str, Any]:
    """The elements around a 0–100 radial axis: the current assessment filled, the previous
    one as a dashed outline with other markers (told apart without colour), and the weak
    line at 50. The table view lists each element's scores and the change. On the meeting
    surface every label is in the room's type (style.MEETING), the lines and markers to match.
    """
    s = surface if isinstance(surface, Surface) else SURFACES[surface]
    large = s.font > PAGE.font
    tick = s.font if large else 11
    wrap_at = 14 if large else 24
    names = [plain(e) for e in elements]
    theta = _closed(names)
    weak = rules.WEAK_BELOW
    data: list[dict[str, Any]] = [
        {
            "type": "scatterpolar",
            "name": f"Weak below {weak:.0f}",
            "r": [weak] * len(theta),
            "theta": theta,
            "mode": "lines",
            "line": {"color": WEAK_COLOUR, "dash": "dot", "width": 1.5},
            "hoverinfo": "skip",
        }
    ]
    if previous is not None:
        data.append(
            {
                "type": "scatterpolar",
                "name": plain(previous.name),
                "r": _closed(list(previous.scores)),
                "theta": theta,
                "mode": "lines+markers",
                "line": {"color": PREVIOUS_COLOUR, "dash": "dash", "width": s.line if large else 2},
                "marker": {"symbol": "square-open", "size": s.marker if large else 8},
                "hovertemplate": "%{theta}: %{r:.0f}<extra>" + plain(previous.name) + "</extra>",
            }
        )
    data.append(
        {
            "type": "scatterpolar",
            "name": plain(current.name),
            "r": _closed(list(current.scores)),
            "theta": theta,
            "mode": "lines+markers",
            "fill": "toself",
            "fillcolor": "rgba(13, 110, 253, 0.15)",
            "line": {"color": CURRENT_COLOUR, "width": s.line if large else 3},
            "marker": {"symbol": "circle", "size": s.marker if large else 9},
            "hovertemplate": "%{theta}: %{r:.0f}<extra>" + plain(current.name) + "</extra>",
        }
    )
    fig_layout = layout(title, "", "", height=height, surface=s)
    fig_layout.pop("xaxis")
    fig_layout.pop("yaxis")
    fig_layout["polar"] = {
        "radialaxis": {
            "range": [0, 100],
            "tickvals": TICKS,
            "angle": 90,
            "tickangle": 90,
            "tickfont": {"size": tick},
        },
        "angularaxis": {"direction": "clockwise", "rotation": 90},
    }
    # The legend under the plot: above it, two rows of legend would hide the top label.
    if large:  # in its own band at the bottom of the figure, clear of the lowest labels
        fig_layout["margin"] = {"l": 170, "r": 170, "t": 110, "b": 70 + 2 * s.legend * 2}
        fig_layout["legend"] = legend(s)
        # no 100 on the radial axis: the outer ring is 100, and the label met the top element's
        fig_layout["polar"]["radialaxis"]["tickvals"] = TICKS[:-1]
    else:
        fig_layout["margin"] = {"l": 90, "r": 90, "t": 75, "b": 40}
        fig_layout["legend"] = {"orientation": "h", "x": 0, "y": -0.08, "yanchor": "top"}
    fig_layout["polar"]["angularaxis"].update(_ticks(names, wrap_at))
    if large:
        fig_layout["polar"]["angularaxis"]["tickfont"] = {"size": tick}
    fig_layout["meta"]["narrow"] = {
        **fig_layout["meta"]["narrow"],
        "margin": {"l": 55, "r": 55, "t": 50, "b": 30},
        # On a phone, long element names are wrapped onto short lines so none is cut off.
        "polar": {"angularaxis": {"tickfont": {"size": 10}, **_ticks(names, 12)}},
    }
    figure = {"data": data, "layout": fig_layout}
    headers = ["Element", "This assessment"]
    if previous is not None:
        headers += ["Previous", "Change"]
    rows = []
    for n, element in enumerate(elements):
        now = current.scores[n]
        row = [element, score_text(now)]
        if previous is not None:
            before = previous.scores[n]
            change = None if now is None or before is None else now - before
            row += [score_text(before), "—" if change is None else f"{change:+.0f}"]
        rows.append(row)
    return with_table(figure, headers, rows)


def overall_trend(
    points: Sequence[tuple[date, float | None]],
    *,
    title: str = "Overall service health over time",
    height: int = 340,
) -> dict[str, Any]:
    """The overall score (0–100) of each assessment by date, with the weak line at 50."""
    dated = [(d, s) for d, s in points if s is not None]
    data: list[dict[str, Any]] = []
    fig_layout = layout(title, "Date of the assessment", "Overall score (0–100)", height=height)
    fig_layout["yaxis"]["range"] = [0, 100]
    fig_layout["yaxis"]["tickvals"] = TICKS
    fig_layout["xaxis"]["type"] = "date"
    if dated:
        data.append(
            {
                "type": "scatter",
                "name": "Overall score",
                "x": [iso(d) for d, _ in dated],
                "y": [round(s, 2) for _, s in dated],
                "mode": "lines+markers+text",
                "text": [fmt_number(round(s)) for _, s in dated],
                "textposition": "top center",
                "line": {"color": CURRENT_COLOUR, "width": 3},
                "marker": {"size": 10},
                "hovertemplate": "%{x}: %{y:.0f}<extra></extra>",
            }
        )
        fig_layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": rules.WEAK_BELOW,
                "y1": rules.WEAK_BELOW,
                "line": {"color": WEAK_COLOUR, "dash": "dot", "width": 1.5},
            }
        ]
        if len(dated) == 1:  # one point: a month either side, so it is not at the very edge
            only = dated[0][0]
            fig_layout["xaxis"]["range"] = [
                iso(date.fromordinal(only.toordinal() - 30)),
                iso(date.fromordinal(only.toordinal() + 30)),
            ]
    else:
        fig_layout["annotations"] = [empty_note("No assessment yet")]
    figure = {"data": data, "layout": fig_layout}
    rows = [[iso(d), score_text(s)] for d, s in points]
    return with_table(figure, ["Date", "Overall score (0–100)"], rows)
