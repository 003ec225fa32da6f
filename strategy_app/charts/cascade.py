"""The cascade drawn whole: plans on a timeline (Gantt) and the strategy map (sunburst)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from strategy_app.charts.base import (
    FIT_LABELS,
    PLAN_STATE_LABELS,
    STATUS_COLOURS,
    STATUS_ICONS,
    bar_marker,
    empty_note,
    ink,
    iso,
    layout,
    plain,
    status_text,
    vertical_marker,
    with_table,
)
from strategy_app.charts.comparisons import category_ticks, labels
from strategy_app.charts.style import PAGE, Surface, config, responsive

DAY_MS = 86_400_000

# How a bar on the timeline looks: (legend label, colour, pattern, text on the bar).
BAR_KINDS = {
    "overdue": ("✖ Overdue", STATUS_COLOURS["off_track"], "x", "✖ overdue"),
    "blocked": ("■ Blocked", "#fd7e14", "/", "■ blocked"),
    "open": ("▶ Planned or in progress", "#0d6efd", "", ""),
    "done": ("✓ Done", STATUS_COLOURS["on_track"], "+", "✓ done"),
    "cancelled": ("– Cancelled", "#adb5bd", "-", "– cancelled"),
}


@dataclass(frozen=True)
class TimelineBar:
    """One plan on the timeline (overdue as rules.plan_overdue says at the chart's date)."""

    id: int
    title: str
    department: str
    start: date
    end: date
    state: str
    overdue: bool


def bar_kind(bar: TimelineBar) -> str:
    """Which of BAR_KINDS a plan is drawn as."""
    if bar.overdue:
        return "overdue"
    if bar.state in ("done", "cancelled", "blocked"):
        return bar.state
    return "open"


def timeline(
    bars: Iterable[TimelineBar],
    as_of: date,
    *,
    today: date | None = None,
    surface: Surface = PAGE,
) -> dict:
    """A Gantt chart of plans (in the order given), with the as-of date as a vertical line."""
    items = list(bars)
    names = labels((f"{b.department} · {b.title}" for b in items), width=48)

    def build(s: Surface) -> dict[str, Any]:
        data = []
        for kind, (legend, colour, pattern, text) in BAR_KINDS.items():
            picked = [(n, b) for n, b in zip(names, items, strict=True) if bar_kind(b) == kind]
            if not picked:
                continue
            data.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": legend,
                    "y": [n for n, _ in picked],
                    "base": [iso(b.start) for _, b in picked],
                    "x": [max((b.end - b.start).days, 1) * DAY_MS for _, b in picked],
                    "text": [text] * len(picked),
                    "textposition": "inside",
                    "insidetextanchor": "start",
                    "marker": bar_marker(colour, pattern),
                    "customdata": [
                        [
                            plain(b.title),
                            plain(b.department),
                            iso(b.start),
                            iso(b.end),
                            PLAN_STATE_LABELS.get(b.state, b.state)
                            + (" · overdue" if b.overdue else ""),
                        ]
                        for _, b in picked
                    ],
                    "hovertemplate": (
                        "%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]} →"
                        " %{customdata[3]}<br>%{customdata[4]}<extra></extra>"
                    ),
                }
            )
        shape, note = vertical_marker(
            iso(as_of),
            "today" if today == as_of else f"as of {iso(as_of)}",
            top=False,
            colour="#212529",
            surface=s,
        )
        figure = {
            "data": data,
            "layout": layout(
                "Plans per department over time",
                "Date",
                "",  # each label says "Department · plan"; an axis title ran into them
                # one row more than the plans: the band under the last bar holds the
                # today label, so it never covers a bar
                height=200 + int(s.font * 2.4) * (max(len(items), 1) + 1),
                barmode="overlay",
                shapes=[shape],
                annotations=[note]
                if items
                else [note, empty_note("No plans with dates to show.", s)],
                surface=s,
            ),
            "config": config(s),
        }
        # Dates along the top, where a tall chart starts; the legend under the plot.
        figure["layout"]["xaxis"].update(type="date", side="top")
        figure["layout"]["yaxis"].update(
            categoryorder="array",
            categoryarray=names,
            range=[len(items) + 0.5, -0.5],  # first plan on top, an empty band at the bottom
        )
        if s.columns == 1:
            short = labels((f"{b.department} · {b.title}" for b in items), width=22)
            figure["layout"]["yaxis"].update(category_ticks(names, short))
        return figure

    rows = [
        [
            b.department,
            b.title,
            iso(b.start),
            iso(b.end),
            PLAN_STATE_LABELS.get(b.state, b.state),
            "✖ overdue" if b.overdue else "no",
        ]
        for b in items
    ]
    headers = ["Department", "Plan", "Start", "Due", "State", "Overdue"]
    return with_table(responsive(build, surface), headers, rows, plan_ids=[b.id for b in items])


@dataclass(frozen=True)
class MapNode:
    """One node of the strategy map; fit is the link's fit for a service strategy node."""

    id: str
    parent: str
    label: str
    kind: str
    status: str
    fit: str | None = None
    detail: str = ""
    note: str = ""  # added to the label after shortening, e.g. " (not linked)"


KIND_LABELS = {
    "vision": "Vision",
    "company": "Company strategy",
    "service": "Service strategy",
    "objective": "Objective",
    "plan": "Action plan",
}


def strategy_map(
    nodes: Iterable[MapNode], *, title: str = "Strategy map", maxdepth: int = -1
) -> dict[str, Any]:
    """A sunburst of the cascade coloured by status; each link's fit in its label and hover."""
    items = list(nodes)
    by_id = {n.id: n for n in items}
    shown = []
    for n in items:
        name = n.label if len(n.label) <= 40 else n.label[:39].rstrip() + "…"
        fit = f" · {FIT_LABELS[n.fit]}" if n.fit else ""
        shown.append(plain(f"{STATUS_ICONS[n.status]} {name}{fit}{n.note}"))
    hover = [
        plain(
            f"{KIND_LABELS.get(n.kind, n.kind)}: {n.label}"
            + (f" — {FIT_LABELS[n.fit]} the company strategy" if n.fit else "")
        )
        + "<br>"
        + status_text(n.status)
        + (f"<br>{plain(n.detail)}" if n.detail else "")
        for n in items
    ]
    data = [
        {
            "type": "sunburst",
            "ids": [n.id for n in items],
            "parents": [n.parent for n in items],
            "labels": shown,
            "customdata": hover,
            "hovertemplate": "%{customdata}<extra></extra>",
            "marker": {
                "colors": [STATUS_COLOURS[n.status] for n in items],
                "line": {"color": "#ffffff", "width": 1},
            },
            "insidetextfont": {"color": [ink(STATUS_COLOURS[n.status]) for n in items]},
            "insidetextorientation": "auto",
            "textinfo": "label",
            "maxdepth": maxdepth,
            "sort": False,
        }
    ]
    figure = {"data": data, "layout": layout(title, "", "", height=640), "config": config(PAGE)}
    figure["layout"]["margin"].update(t=60)
    del figure["layout"]["xaxis"], figure["layout"]["yaxis"]
    if not items:
        figure["layout"]["annotations"] = [empty_note("Nothing to map yet.")]
    rows = [
        [
            KIND_LABELS.get(n.kind, n.kind),
            n.label,
            by_id[n.parent].label if n.parent in by_id else "",
            FIT_LABELS[n.fit] if n.fit else "",
            status_text(n.status),
        ]
        for n in items
    ]
    return with_table(figure, ["Level", "Name", "Within", "Fit", "Status"], rows)
