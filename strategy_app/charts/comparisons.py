"""Bar charts that compare: departments, service strategies, the biggest misses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strategy_app.charts.base import (
    PLAN_STATE_COLOURS,
    PLAN_STATE_LABELS,
    PLAN_STATE_PATTERNS,
    STATUS_COLOURS,
    STATUS_ICONS,
    STATUS_PATTERNS,
    bar_marker,
    count_ticks,
    empty_note,
    fmt_number,
    layout,
    pct_text,
    plain,
    status_text,
    with_table,
)
from strategy_app.charts.style import LINE, PAGE, Surface, axis, config, responsive
from strategy_app.models.plan import PLAN_STATES
from strategy_app.services.evaluation import rules

# Navy, not the blue of "In progress": the two share one legend in department_comparison.
EXECUTION_COLOUR = "#052c65"
RESULTS_COLOUR = "#6f42c1"
LABEL_WIDTH = 40


def label_width(s: Surface) -> int:
    """Characters of a category label on the surface (a phone has room for fewer)."""
    return 18 if s.columns == 1 else LABEL_WIDTH


def category_ticks(names: list[str], shown: list[str]) -> dict[str, Any]:
    """An axis showing shorter labels for the categories named in the data (a phone's)."""
    return {"tickmode": "array", "tickvals": names, "ticktext": shown}


@dataclass(frozen=True)
class DepartmentRow:
    """What the department charts show of one department (execution and results are 0–1)."""

    name: str
    execution: float | None = None
    results: float | None = None
    plans: Mapping[str, int] = field(default_factory=dict)
    overdue: int = 0


@dataclass(frozen=True)
class Miss:
    """An indicator short of what was expected: shortfall in its unit and as a share of span."""

    name: str
    unit: str
    status: str
    expected: float
    actual: float
    shortfall: float
    relative: float
    parent: str = ""
    id: int | None = None


def labels(names: Iterable[str], width: int = LABEL_WIDTH) -> list[str]:
    """Axis labels: shortened to width, made unique, escaped for Plotly."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        short = name if len(name) <= width else name[: width - 1].rstrip() + "…"
        seen[short] = seen.get(short, 0) + 1
        result.append(plain(short if seen[short] == 1 else f"{short} ({seen[short]})"))
    return result


def _rows(rows: Iterable[DepartmentRow | Mapping[str, Any]]) -> list[DepartmentRow]:
    return [r if isinstance(r, DepartmentRow) else DepartmentRow(**r) for r in rows]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 6)


def _execution_results_traces(
    rows: list[DepartmentRow], s: Surface = PAGE, **axes
) -> list[dict[str, Any]]:
    names = labels((r.name for r in rows), label_width(s))
    return [
        {
            "type": "bar",
            "name": name,
            "x": names,
            "y": [_pct(getattr(r, key)) for r in rows],
            "text": [pct_text(getattr(r, key)) for r in rows],
            "textposition": "outside",
            "textfont": {"size": s.font},
            "cliponaxis": False,
            "marker": bar_marker(colour, pattern),
            "hovertemplate": f"%{{x}}<br>{name} %{{text}}<extra></extra>",
            **axes,
        }
        for key, name, colour, pattern in (
            ("execution", "Execution", EXECUTION_COLOUR, ""),
            ("results", "Results", RESULTS_COLOUR, "/"),
        )
    ]


# Why a department's bar is missing (DESIGN §3: null, never a false zero), and which side of
# its group the bar would stand on (grouped bars: two per category, each 0.4 wide).
MISSING = (("execution", "no plan yet", -0.2), ("results", "no indicator yet", 0.2))


def _missing_notes(
    rows: list[DepartmentRow], s: Surface = PAGE, xref: str = "x", yref: str = "y"
) -> list[dict[str, Any]]:
    """Upright notes where a bar is missing, saying why, so that no gap reads as 0 %."""
    return [
        {
            "text": why,
            "xref": xref,
            "yref": yref,
            "x": n + offset,
            "y": 0,
            "textangle": -90,
            "xanchor": "center",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": s.note},
            "name": f"missing {key}",
        }
        for n, r in enumerate(rows)
        for key, why, offset in MISSING
        if getattr(r, key) is None
    ]


def _pct_or_why(value: float | None, why: str) -> str:
    return pct_text(value) if value is not None else f"— ({why})"


def _state_traces(rows: list[DepartmentRow], s: Surface = PAGE, **axes) -> list[dict[str, Any]]:
    names = labels((r.name for r in rows), label_width(s))
    return [
        {
            "type": "bar",
            "name": PLAN_STATE_LABELS[state],
            "x": names,
            "y": [r.plans.get(state, 0) for r in rows],
            "text": [str(r.plans.get(state, 0) or "") for r in rows],
            "textposition": "inside",
            "marker": bar_marker(PLAN_STATE_COLOURS[state], PLAN_STATE_PATTERNS[state]),
            "hovertemplate": f"%{{x}}<br>{PLAN_STATE_LABELS[state]}: %{{y}}<extra></extra>",
            **axes,
        }
        for state in PLAN_STATES
    ]


def _department_table(rows: list[DepartmentRow]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Department", "Execution", "Results", "Overdue"]
    headers += [PLAN_STATE_LABELS[s] for s in PLAN_STATES]
    table = [
        [
            r.name,
            _pct_or_why(r.execution, "no plan yet"),
            _pct_or_why(r.results, "no indicator yet"),
            r.overdue,
        ]
        + [r.plans.get(s, 0) for s in PLAN_STATES]
        for r in rows
    ]
    return headers, table


def execution_vs_results(
    rows: Iterable[DepartmentRow | Mapping[str, Any]], *, surface: Surface = PAGE
) -> dict[str, Any]:
    """Grouped bars: each department's mean execution and mean results, in percent."""
    items = _rows(rows)

    def build(s: Surface) -> dict[str, Any]:
        figure = {
            "data": _execution_results_traces(items, s),
            "layout": layout(
                "Execution vs results",  # the x axis says "Department": one line on half width
                "Department",
                "Percent (%)",
                barmode="group",
                surface=s,
            ),
            "config": config(s),
        }
        figure["layout"]["yaxis"].update(range=[0, 115], ticksuffix=" %")
        figure["layout"]["annotations"] = _missing_notes(items, s)
        if not items:
            figure["layout"]["annotations"] = [empty_note("No departments yet.", s)]
        return figure

    return with_table(responsive(build, surface), *_department_table(items))


def overdue_by_department(
    rows: Iterable[DepartmentRow | Mapping[str, Any]], *, surface: Surface = PAGE
) -> dict[str, Any]:
    """Bars: how many plans of each department are overdue."""
    items = _rows(rows)
    top = max((r.overdue for r in items), default=0)

    def build(s: Surface) -> dict[str, Any]:
        figure = {
            "data": [
                {
                    "type": "bar",
                    "name": "Overdue plans",
                    "x": labels((r.name for r in items), label_width(s)),
                    "y": [r.overdue for r in items],
                    "text": [f"✖ {r.overdue}" if r.overdue else "0" for r in items],
                    "textposition": "outside",
                    "textfont": {"size": s.font},
                    "cliponaxis": False,
                    "marker": bar_marker(STATUS_COLOURS[rules.OFF_TRACK], "x"),
                    "hovertemplate": "%{x}<br>%{y} overdue<extra></extra>",
                }
            ],
            "layout": layout(
                "Overdue plans per department",
                "Department",
                "Plans overdue (count)",
                surface=s,
            ),
            "config": config(s),
        }
        figure["layout"]["yaxis"].update(count_ticks(top), range=[0, top * 1.2 + 1])
        figure["layout"]["showlegend"] = False
        return figure

    rows_ = [[r.name, r.overdue] for r in items]
    return with_table(responsive(build, surface), ["Department", "Overdue plans"], rows_)


def _by_service_height(s: Surface, strategies: int, room: int | None) -> int:
    """Taller with each service strategy; on a slide never past the room a chart has there
    (the overview slide must fit 1920 × 1080 whatever the number of strategies)."""
    grown = s.height // 2 + s.font * 4 * max(strategies, 1)
    return grown if s.scrolls else min(grown, room or s.height)


def objectives_by_service(
    rows: Iterable[tuple[str, Mapping[str, int]]],
    *,
    surface: Surface = PAGE,
    room: int | None = None,
) -> dict[str, Any]:
    """Stacked horizontal bars: each service strategy's objectives per status.

    room: on a surface that does not scroll (a slide), the most height (px) the chart may
    take when text above it shares the slide (the meeting's overview)."""
    items = list(rows)
    top = max((sum(counts.values()) for _, counts in items), default=0)

    names = labels(name for name, _ in items)

    def build(s: Surface) -> dict[str, Any]:
        data = [
            {
                "type": "bar",
                "orientation": "h",
                "name": status_text(status),
                "y": names,
                "x": [counts.get(status, 0) for _, counts in items],
                "text": [str(counts.get(status, 0) or "") for _, counts in items],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": s.font},
                "marker": bar_marker(STATUS_COLOURS[status], STATUS_PATTERNS[status]),
                "hovertemplate": f"%{{y}}<br>{status_text(status)}: %{{x}}<extra></extra>",
            }
            for status in rules.STATUSES
        ]
        figure = {
            "data": data,
            "layout": layout(
                "Objectives by status per service strategy",
                "Objectives (count)",
                "Service strategy" if s.columns > 1 else "",
                height=_by_service_height(s, len(items), room),
                barmode="stack",
                surface=s,
            ),
            "config": config(s),
        }
        figure["layout"]["yaxis"]["autorange"] = "reversed"
        if s.columns == 1:
            short = labels((name for name, _ in items), label_width(s))
            figure["layout"]["yaxis"].update(category_ticks(names, short))
        figure["layout"]["xaxis"].update(count_ticks(top))
        if not items:
            figure["layout"]["annotations"] = [empty_note("No service strategies yet.", s)]
        return figure

    headers = ["Service strategy", *(status_text(s) for s in rules.STATUSES)]
    table = [[name, *(counts.get(s, 0) for s in rules.STATUSES)] for name, counts in items]
    return with_table(responsive(build, surface), headers, table)


def biggest_misses(rows: Iterable[Miss], *, surface: Surface = PAGE) -> dict[str, Any]:
    """Horizontal bars: the indicators furthest short of expected, in % of their span.

    Indicators have different units, so every bar is the shortfall as a share of its own
    baseline-to-target span, labelled in % (the shortfall in its own unit is in the hover
    text and the table).
    """
    items = list(rows)

    names = labels(m.name for m in items)

    def build(s: Surface) -> dict[str, Any]:
        data = []
        for status in (rules.OFF_TRACK, rules.AT_RISK):
            picked = [(n, m) for n, m in zip(names, items, strict=True) if m.status == status]
            data.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": status_text(status),
                    "y": [n for n, _ in picked],
                    "x": [round(m.relative * 100, 6) for _, m in picked],
                    "text": [f"{STATUS_ICONS[status]} {pct_text(m.relative)}" for _, m in picked],
                    "textposition": "outside",
                    "textfont": {"size": s.font},
                    "cliponaxis": False,
                    "customdata": [
                        plain(f"short by {fmt_number(m.shortfall)} {m.unit}".strip())
                        for _, m in picked
                    ],
                    "marker": bar_marker(STATUS_COLOURS[status], STATUS_PATTERNS[status]),
                    "hovertemplate": (
                        "%{y}<br>%{x:.0f} % of its baseline-to-target span"
                        "<br>%{customdata}<extra></extra>"
                    ),
                }
            )
        top = max((m.relative * 100 for m in items), default=0)
        figure = {
            "data": data,
            "layout": layout(
                "Biggest misses: shortfall vs expected",
                "Shortfall, % of each indicator's baseline-to-target span"
                if s.columns > 1
                else "Shortfall (% of its span)",
                "",
                # at most 1.25 surfaces high: ten bars on a projector still fit one slide
                height=min(s.height // 2 + s.font * 3 * max(len(items), 1), s.height * 5 // 4),
                barmode="overlay",
                surface=s,
            ),
            "config": config(s),
        }
        figure["layout"]["xaxis"].update(
            ticksuffix=" %", range=[0, max(top * (1.25 if s.columns > 1 else 1.6), 10)]
        )
        figure["layout"]["yaxis"].update(
            autorange="reversed", categoryorder="array", categoryarray=names
        )
        if s.columns == 1:
            short = labels((m.name for m in items), label_width(s))
            figure["layout"]["yaxis"].update(category_ticks(names, short))
        if not items:
            figure["layout"]["annotations"] = [
                empty_note("No indicator falls short of expected.", s)
            ]
        return figure

    headers = ["Indicator", "Of", "Status", "Expected", "Actual", "Shortfall", "Share of span"]
    table = [
        [
            m.name,
            m.parent,
            status_text(m.status),
            f"{fmt_number(m.expected)} {m.unit}".strip(),
            f"{fmt_number(m.actual)} {m.unit}".strip(),
            f"{fmt_number(m.shortfall)} {m.unit}".strip(),
            pct_text(m.relative),
        ]
        for m in items
    ]
    return with_table(responsive(build, surface), headers, table)


def department_comparison(
    rows: Iterable[DepartmentRow | Mapping[str, Any]], *, surface: Surface = PAGE
) -> dict[str, Any]:
    """The departments side by side: execution vs results (left), plans by state (right);
    on a phone one above the other."""
    items = _rows(rows)
    top = max((sum(r.plans.values()) for r in items), default=0)

    def build(s: Surface) -> dict[str, Any]:
        stacked = s.columns == 1
        heading = s.note * LINE + 10  # px above each plot for its heading
        height = s.height + (s.height // 2 if stacked else 0)
        base = layout(
            "Departments compared", "", "Percent (%)", barmode="group", height=height, surface=s
        )
        base["xaxis"]["title"]["text"] = ""
        base["yaxis"].update(range=[0, 115], ticksuffix=" %")
        base["xaxis2"] = {**axis("", s), "anchor": "y2"}
        base["yaxis2"] = {**axis("Plans (count)", s), "anchor": "x2", **count_ticks(top)}
        if stacked:
            base["xaxis"]["domain"] = base["xaxis2"]["domain"] = [0, 1]
            base["yaxis"]["domain"], base["yaxis2"]["domain"] = [0.62, 0.92], [0, 0.3]
        else:
            base["xaxis"]["domain"], base["xaxis2"]["domain"] = [0, 0.44], [0.56, 1]
            base["yaxis"]["domain"] = base["yaxis2"]["domain"] = [0, 0.86]
        # One barmode for the figure: stacking per axis is done with offsetgroup/base instead.
        states = _state_traces(items, s, xaxis="x2", yaxis="y2")
        running = [0] * len(items)
        for trace in states:
            trace.update(base=list(running), offsetgroup="plans")
            running = [a + b for a, b in zip(running, trace["y"], strict=True)]
        base["annotations"] = [
            {
                "text": text,
                "xref": f"{axis_} domain",
                "yref": f"{yaxis} domain",
                "x": 0,
                "y": 1,
                "yshift": heading - 4,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": s.note + 2},
            }
            for axis_, yaxis, text in (
                ("x", "y", "Execution vs results"),
                ("x2", "y2", "Plans by state"),
            )
        ]
        base["annotations"] += _missing_notes(items, s)
        if not items:
            base["annotations"].append(empty_note("No departments yet.", s))
        return {
            "data": _execution_results_traces(items, s) + states,
            "layout": base,
            "config": config(s),
        }

    return with_table(responsive(build, surface), *_department_table(items))
