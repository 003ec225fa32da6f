"""How a chart looks on each surface: a laptop's page, a phone, the meeting room's projector, print.

A figure is built for one surface; the page and print surfaces also carry the phone's layout
in ``layout.meta.narrow``, which static/js/charts.js uses when the chart is drawn narrower
than 576 px. Every layout follows one plan, so that no text lies on other text: the title
and subtitle in their own band at the top (room pushed by Plotly's title automargin), the
plot, its axes (automargin), the legend in its own band at the bottom; long text is wrapped
here, for the narrowest chart the surface expects, since Plotly never wraps.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
CHAR_WIDTH = 0.62  # a character's mean width in that type, as a share of its size (generous)
LINE = 1.3  # a line of text's height, as a share of its size


@dataclass(frozen=True)
class Surface:
    """Type sizes (px), line and marker sizes, and the room a chart has on one surface."""

    name: str
    font: int  # tick labels, axis titles, bar labels
    title: int
    subtitle: int
    legend: int
    note: int  # annotations: panel headings, the target and today lines
    line: float
    marker: int
    width: int  # the narrowest a chart is drawn on this surface (px)
    height: int  # a chart's height
    panel: int  # the plot height of one small multiple
    columns: int  # small multiples per row
    modebar: bool  # Plotly's toolbar, which sits over the top right corner
    top: int  # room above the title (the toolbar's row when it is shown)
    phone: Surface | None = None  # the layout used below 576 px
    # The screen scrolls, so a chart may grow past `height` with its rows; a slide does not,
    # and its charts keep to the room they have there.
    scrolls: bool = True

    def chars(self, size: int, width: float | None = None) -> int:
        """How many characters of type of this size fit on one line of the given width."""
        return max(12, int((width or self.width) / (size * CHAR_WIDTH)))


PHONE = Surface(
    "phone",
    font=11,
    title=15,
    subtitle=11,
    legend=11,
    note=11,
    line=2,
    marker=7,
    width=300,
    height=420,
    panel=190,
    columns=1,
    modebar=False,
    top=6,
)
PAGE = Surface(
    "page",
    font=13,
    title=18,
    subtitle=13,
    legend=13,
    note=13,
    line=2,
    marker=9,
    width=576,
    height=420,
    panel=210,
    columns=2,
    modebar=True,
    top=36,
    phone=PHONE,
)
# The room's projector: 1920 × 1080, read from the back of the room (≥ 20 px everywhere).
MEETING = Surface(
    "meeting",
    font=20,
    title=26,
    subtitle=20,
    legend=20,
    note=20,
    line=4,
    marker=14,
    width=1880,
    height=560,
    panel=185,
    columns=3,
    modebar=False,
    top=6,
    phone=PHONE,
    scrolls=False,
)
PRINT = Surface(
    "print",
    font=11,
    title=15,
    subtitle=11,
    legend=11,
    note=11,
    line=1.5,
    marker=7,
    width=680,
    height=360,
    panel=180,
    columns=2,
    modebar=False,
    top=6,
    phone=PHONE,
)
SURFACES = {s.name: s for s in (PAGE, PHONE, MEETING, PRINT)}


def wrap(text: str, chars: int) -> str:
    """Each <br>-separated line of text wrapped at chars characters (Plotly does not wrap)."""
    return "<br>".join(
        "<br>".join(textwrap.wrap(line, chars, break_long_words=True) or [""])
        for line in text.split("<br>")
    )


def lines(text: str) -> int:
    """How many lines a wrapped text takes."""
    return text.count("<br>") + 1 if text else 0


def shorten(text: str, chars: int) -> str:
    """text cut to chars characters with an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def title_block(title: str, subtitle: str, s: Surface) -> dict[str, Any]:
    """The title (on one line: Plotly places a title of several lines partly above the
    figure) and the subtitle (wrapped) at the top left; Plotly makes room for them."""
    heading: dict[str, Any] = {
        "text": title,
        "font": {"size": s.title},
        "x": 0,
        "xanchor": "left",
        "xref": "container",
        "y": 1,
        "yanchor": "top",
        "yref": "container",
        "pad": {"t": s.top, "l": 4, "b": 10},
        "automargin": True,
    }
    if subtitle:
        heading["subtitle"] = {
            "text": wrap(subtitle, s.chars(s.subtitle)),
            "font": {"size": s.subtitle},
        }
    return heading


def title_height(title: str, subtitle: str, s: Surface) -> int:
    """The pixels title_block takes from the top of the figure."""
    t = s.title * LINE if title else 0
    sub = lines(wrap(subtitle, s.chars(s.subtitle))) * s.subtitle * LINE if subtitle else 0
    return int(s.top + t + sub + 18)


def legend(s: Surface) -> dict[str, Any]:
    """The legend in one band under the plot (Plotly makes room for its rows)."""
    return {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "xref": "container",
        "y": 0,
        "yanchor": "bottom",
        "yref": "container",
        "font": {"size": s.legend},
        "itemwidth": 30,
        "traceorder": "normal",
    }


def axis(title: str, s: Surface) -> dict[str, Any]:
    """An axis with its title, in the surface's type, pushing the margins it needs."""
    return {
        "title": {"text": title, "font": {"size": s.font}},
        "tickfont": {"size": s.font},
        "automargin": True,
    }


def config(s: Surface) -> dict[str, Any]:
    """Plotly's config for the surface: the toolbar only on a page, where it has a row."""
    return {"displayModeBar": s.modebar, "displaylogo": False}


def responsive(build: Callable[[Surface], dict[str, Any]], s: Surface) -> dict[str, Any]:
    """build(surface)'s figure, carrying the phone's layout and config for a narrow chart."""
    figure = build(s)
    if s.phone is not None:
        phone = build(s.phone)["layout"]
        meta = figure["layout"].setdefault("meta", {})
        meta["narrow"] = phone
        meta["narrow_config"] = config(s.phone)
    return figure
