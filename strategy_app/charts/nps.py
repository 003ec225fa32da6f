"""NPS figures: promoters, passives and detractors stacked per month with the NPS line."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from typing import Any

from strategy_app.charts.base import bar_marker, count_ticks, empty_note, layout, plain, with_table
from strategy_app.charts.style import SURFACES, Surface, config, responsive

CATEGORIES = (
    ("detractors", "Detractors (0–6)", "#b02a37", "x"),
    ("passives", "Passives (7–8)", "#adb5bd", "."),
    ("promoters", "Promoters (9–10)", "#146c43", ""),
)
NPS_COLOUR = "#0d6efd"
PAGE_HEIGHT = 400  # on a page; a slide takes the meeting surface's height


def month_label(period: str) -> str:
    """A month as people write it: 2026-05 becomes May 2026."""
    year, month = period.split("-")
    return f"{calendar.month_abbr[int(month)]} {year}"


def signed(value: int | None) -> str:
    """An NPS as people write it: +25, 0, −10 (— when there is none)."""
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


def trend(
    months: Sequence[Any],
    title: str = "NPS by month",
    *,
    height: int | None = None,
    subtitle: str = "",
    surface: str | Surface = "page",
) -> dict[str, Any]:
    """Stacked counts of each month's promoters, passives and detractors, and the NPS line.

    months: objects with .label ("YYYY-MM") and .counts (rules.NpsCounts), oldest first
    (services.reads.nps.by_month); surface: a style.Surface or its name ("page", "meeting":
    the type a room reads from its back); a page's figure carries the phone's layout.
    """
    chosen = surface if isinstance(surface, Surface) else SURFACES[surface]
    x = [month_label(m.label) for m in months]
    top = max((m.counts.responses for m in months), default=0)

    def build(s: Surface) -> dict[str, Any]:
        traces: list[dict[str, Any]] = [
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": [getattr(m.counts, key) for m in months],
                "marker": bar_marker(colour, pattern),
                "hovertemplate": (
                    f"%{{x}}: %{{y}} {plain(name.split(' ')[0].lower())}<extra></extra>"
                ),
            }
            for key, name, colour, pattern in CATEGORIES
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "NPS",
                "x": x,
                "y": [m.counts.nps for m in months],
                "yaxis": "y2",
                "line": {"color": NPS_COLOUR, "width": max(3, s.line)},
                "marker": {"symbol": "diamond", "size": max(10, s.marker), "color": NPS_COLOUR},
                "hovertemplate": "%{x}: NPS %{y:+d}<extra></extra>",
                "cliponaxis": False,
            }
        )
        fig_layout = layout(
            title,
            "Month",
            "Responses",
            height=height or (PAGE_HEIGHT if s.name == "page" else s.height),
            subtitle=subtitle,
            surface=s,
            barmode="stack",
            yaxis2={
                "title": {"text": "NPS", "font": {"size": s.font}},
                "tickfont": {"size": s.font},
                "overlaying": "y",
                "side": "right",
                "range": [-105, 105],
                "tickmode": "array",
                # No label at ±100: at the corners it met the month labels on a phone.
                "tickvals": [-50, 0, 50],
                "ticktext": ["−50", "0", "+50"],
                "showgrid": False,
                "zeroline": True,
                "zerolinecolor": "#adb5bd",
                "automargin": True,
            },
        )
        fig_layout["yaxis"].update(count_ticks(top))
        fig_layout["margin"]["r"] = 60
        if not months:
            fig_layout["annotations"] = [empty_note("No responses yet.", s)]
        return {"data": traces, "layout": fig_layout, "config": config(s)}

    figure = responsive(build, chosen)
    rows = [
        [
            month_label(m.label),
            m.counts.responses,
            m.counts.promoters,
            m.counts.passives,
            m.counts.detractors,
            signed(m.counts.nps),
        ]
        for m in months
    ]
    headers = ["Month", "Responses", "Promoters", "Passives", "Detractors", "NPS"]
    return with_table(figure, headers, rows)
