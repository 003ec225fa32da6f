"""What every figure shares: status colours and symbols, text escaping, numbers, the layout."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from strategy_app.charts.style import (
    FAMILY,
    PAGE,
    Surface,
    axis,
    legend,
    shorten,
    title_block,
)
from strategy_app.services.evaluation import rules
from strategy_app.services.plumbing import numbers

# One place for how a status looks; static/css/app.css uses the same colours for badges.
STATUS_COLOURS = {
    rules.ON_TRACK: "#146c43",
    rules.AT_RISK: "#ffc107",
    rules.OFF_TRACK: "#b02a37",
    rules.NO_DATA: "#adb5bd",
}
status_colours = STATUS_COLOURS  # the name other modules were told to import
# Marker symbols (lines and points) and bar patterns: the status is never told by colour alone.
STATUS_SYMBOLS = {
    rules.ON_TRACK: "circle",
    rules.AT_RISK: "triangle-up",
    rules.OFF_TRACK: "x",
    rules.NO_DATA: "circle-open",
}
STATUS_PATTERNS = {rules.ON_TRACK: "", rules.AT_RISK: "/", rules.OFF_TRACK: "x", rules.NO_DATA: "."}
STATUS_LABELS = {
    rules.ON_TRACK: "On track",
    rules.AT_RISK: "At risk",
    rules.OFF_TRACK: "Off track",
    rules.NO_DATA: "No data",
}
# The same glyphs as the status badges of templates/_macros.html.
STATUS_ICONS = {rules.ON_TRACK: "●", rules.AT_RISK: "▲", rules.OFF_TRACK: "✖", rules.NO_DATA: "○"}

PLAN_STATE_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
    "cancelled": "Cancelled",
}
PLAN_STATE_COLOURS = {
    "planned": "#6c757d",
    "in_progress": "#0d6efd",
    "done": "#146c43",
    "blocked": "#b02a37",
    "cancelled": "#adb5bd",
}
PLAN_STATE_PATTERNS = {
    "planned": ".",
    "in_progress": "",
    "done": "+",
    "blocked": "x",
    "cancelled": "-",
}
FIT_LABELS = {"supports": "supports ✓", "neutral": "neutral ○", "conflicts": "conflicts ✖"}

EXPECTED_COLOUR = "#0d6efd"
ACTUAL_COLOUR = "#212529"
FORECAST_COLOUR = "#6f42c1"
BAND_COLOUR = "rgba(13, 110, 253, 0.12)"
MARKER_COLOUR = "#6c757d"
FONT = {"family": FAMILY, "size": PAGE.font}


def status_text(status: str) -> str:
    """The glyph and word of a status, e.g. "▲ At risk"."""
    return f"{STATUS_ICONS[status]} {STATUS_LABELS[status]}"


def plain(text: Any) -> str:
    """Text as Plotly shows it literally: Plotly reads <b>, <a> and entities in labels.

    Its tags would become style attributes (refused by the CSP) or links, so a name typed
    by a user is escaped; Plotly turns the entities back into the characters.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fmt_number(value: float | None, decimals: int | None = None) -> str:
    """A number for people (services/plumbing/numbers.py, the one place that formats them)."""
    return numbers.fmt(value, decimals)


def ink(colour: str) -> str:
    """Dark or white, whichever reads better on the hex colour given."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#212529" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def bar_marker(colour: str, shape: str) -> dict[str, Any]:
    """A bar's fill: the colour with a pattern drawn over it (so not colour alone)."""
    return {
        "color": colour,
        "pattern": {
            "shape": shape,
            "fillmode": "overlay",
            "fgcolor": ink(colour),
            "fgopacity": 0.45,
            "size": 10,
            "solidity": 0.2,
        },
    }


def count_ticks(top: float) -> dict[str, Any]:
    """Axis settings for counts: whole-number ticks, at most about eight of them, from zero,
    a round step apart (1, 2, 5, 10, 20, 25, 50…: 0, 10, 20, 30 rather than 0, 7, 14, 21)."""
    step = max(1, math.ceil(top / 8))
    power = 10 ** (len(str(step)) - 1)
    nice = next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= step and k * power % 1 == 0)
    return {"tickformat": ",d", "dtick": int(nice), "rangemode": "tozero"}


def pct_text(value: float | None) -> str:
    """0.423 → "42%"; None → "—" (percentages are written one way everywhere)."""
    return numbers.pct(value)


def iso(d: date) -> str:
    """A date as Plotly and the tables write it."""
    return d.isoformat()


def layout(
    title: str,
    x_title: str,
    y_title: str,
    *,
    height: int | None = None,
    subtitle: str = "",
    surface: Surface = PAGE,
    **extra,
) -> dict[str, Any]:
    """The common layout on a surface: title and subtitle in a band at the top, the plot with
    its axis titles, the legend in a band at the bottom (style.py says why)."""
    s = surface
    result: dict[str, Any] = {
        "title": title_block(plain(shorten(title, s.chars(s.title))), subtitle, s),
        "xaxis": axis(x_title, s),
        "yaxis": axis(y_title, s),
        "height": height or s.height,
        "margin": {"l": 10, "r": 16, "t": 10, "b": 10, "pad": 0, "autoexpand": True},
        "font": {"family": FAMILY, "size": s.font},
        "legend": legend(s),
        "hoverlabel": {"font": {"size": max(14, s.font)}},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        # narrow: what static/js/charts.js changes below 576 px (style.responsive fills it)
        "meta": {"title": title, "surface": s.name, "narrow": {}},
    }
    result.update(extra)
    return result


def with_table(
    figure: dict[str, Any], headers: list[str], rows: list[list[Any]], **meta
) -> dict[str, Any]:
    """Attach the table view (and any figures a page or a test wants) to layout.meta."""
    figure["layout"].setdefault("meta", {}).update(
        {"table": {"headers": headers, "rows": rows}, **meta}
    )
    return figure


def vertical_marker(
    x: str, label: str, *, top: bool = True, colour: str = MARKER_COLOUR, surface: Surface = PAGE
) -> tuple[dict, dict]:
    """A dotted vertical line across the plot at x, and its label inside the top or bottom."""
    shape = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "width": surface.line * 0.75, "dash": "dot"},
    }
    note = {
        "x": x,
        "y": 1 if top else 0,
        "xref": "x",
        "yref": "paper",
        "text": plain(label),
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "top" if top else "bottom",
        "bgcolor": "rgba(255, 255, 255, 0.8)",
        "font": {"size": surface.note, "color": colour},
    }
    return shape, note


def empty_note(text: str, surface: Surface = PAGE) -> dict[str, Any]:
    """An annotation in the middle of a figure that has nothing to draw."""
    return {
        "text": plain(text),
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": surface.title},
    }
