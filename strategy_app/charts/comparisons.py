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
    STATUS_PATTERNS,
    bar_marker,
    count_ticks,
    empty_note,
    fmt_number,
    layout,
    narrow_categories,
    pct_text,
    plain,
    status_text,
    with_table,
)
from strategy_app.models.plan import PLAN_STATES
from strategy_app.services.evaluation import rules

EXECUTION_COLOUR = "#0d6efd"
RESULTS_COLOUR = "#6f42c1"
LABEL_WIDTH = 40


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


def _execution_results_traces(rows: list[DepartmentRow], **axes) -> list[dict[str, Any]]:
    names = labels(r.name for r in rows)
    return [
        {
            "type": "bar",
            "name": name,
            "x": names,
            "y": [_pct(getattr(r, key)) for r in rows],
            "text": [pct_text(getattr(r, key)) for r in rows],
            "textposition": "outside",
            "marker": bar_marker(colour, pattern),
            "hovertemplate": f"%{{x}}<br>{name} %{{text}}<extra></extra>",
            **axes,
        }
        for key, name, colour, pattern in (
            ("execution", "Execution", EXECUTION_COLOUR, ""),
            ("results", "Results", RESULTS_COLOUR, "/"),
        )
    ]


def _state_traces(rows: list[DepartmentRow], **axes) -> list[dict[str, Any]]:
    names = labels(r.name for r in rows)
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
        [r.name, pct_text(r.execution), pct_text(r.results), r.overdue]
        + [r.plans.get(s, 0) for s in PLAN_STATES]
        for r in rows
    ]
    return headers, table


def execution_vs_results(rows: Iterable[DepartmentRow | Mapping[str, Any]]) -> dict[str, Any]:
    """Grouped bars: each department's mean execution and mean results, in percent."""
    items = _rows(rows)
    figure = {
        "data": _execution_results_traces(items),
        "layout": layout(
            "Execution vs results per department",
            "Department",
            "Percent (%)",
            barmode="group",
        ),
    }
    figure["layout"]["yaxis"]["range"] = [0, 115]
    if not items:
        figure["layout"]["annotations"] = [empty_note("No departments yet.")]
    return with_table(figure, *_department_table(items))


def overdue_by_department(rows: Iterable[DepartmentRow | Mapping[str, Any]]) -> dict[str, Any]:
    """Bars: how many plans of each department are overdue."""
    items = _rows(rows)
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "Overdue plans",
                "x": labels(r.name for r in items),
                "y": [r.overdue for r in items],
                "text": [f"✖ {r.overdue}" if r.overdue else "0" for r in items],
                "textposition": "outside",
                "marker": bar_marker(STATUS_COLOURS[rules.OFF_TRACK], "x"),
                "hovertemplate": "%{x}<br>%{y} overdue<extra></extra>",
            }
        ],
        "layout": layout("Overdue plans per department", "Department", "Plans overdue (count)"),
    }
    top = max((r.overdue for r in items), default=0)
    figure["layout"]["yaxis"].update(count_ticks(top), range=[0, top * 1.2 + 1])
    figure["layout"]["showlegend"] = False
    rows_ = [[r.name, r.overdue] for r in items]
    return with_table(figure, ["Department", "Overdue plans"], rows_)


def objectives_by_service(rows: Iterable[tuple[str, Mapping[str, int]]]) -> dict[str, Any]:
    """Stacked horizontal bars: each service strategy's objectives per status."""
    items = list(rows)
    names = labels(name for name, _ in items)
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
            "Service strategy",
            height=200 + 60 * max(len(items), 1),
            barmode="stack",
        ),
    }
    figure["layout"]["yaxis"]["autorange"] = "reversed"
    narrow_categories(figure, "yaxis", names)
    top = max((sum(counts.values()) for _, counts in items), default=0)
    figure["layout"]["xaxis"].update(count_ticks(top))
    if not items:
        figure["layout"]["annotations"] = [empty_note("No service strategies yet.")]
    headers = ["Service strategy", *(status_text(s) for s in rules.STATUSES)]
    table = [[name, *(counts.get(s, 0) for s in rules.STATUSES)] for name, counts in items]
    return with_table(figure, headers, table)


def biggest_misses(rows: Iterable[Miss]) -> dict[str, Any]:
    """Horizontal bars: the indicators furthest short of expected, as a share of their span."""
    items = list(rows)
    names = labels(m.name for m in items)
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
                "text": [
                    plain(f"{status_text(status)} · short by {fmt_number(m.shortfall)} {m.unit}")
                    for _, m in picked
                ],
                "textposition": "auto",
                "marker": bar_marker(STATUS_COLOURS[status], STATUS_PATTERNS[status]),
                "hovertemplate": "%{y}<br>%{text}<br>%{x:.0f} % of its span<extra></extra>",
            }
        )
    figure = {
        "data": data,
        "layout": layout(
            "Biggest misses: shortfall vs expected",
            "Shortfall (% of baseline-to-target span)",
            "Indicator",
            height=200 + 45 * max(len(items), 1),
            barmode="overlay",
        ),
    }
    figure["layout"]["yaxis"].update(
        autorange="reversed", categoryorder="array", categoryarray=names
    )
    narrow_categories(figure, "yaxis", names)
    if not items:
        figure["layout"]["annotations"] = [empty_note("No indicator falls short of expected.")]
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
    return with_table(figure, headers, table)


def department_comparison(rows: Iterable[DepartmentRow | Mapping[str, Any]]) -> dict[str, Any]:
    """The departments side by side: execution vs results (left), plans by state (right)."""
    items = _rows(rows)
    base = layout("Departments compared", "Department", "Percent (%)", barmode="group")
    base["grid"] = {"rows": 1, "columns": 2, "pattern": "independent", "xgap": 0.12}
    base["yaxis"]["range"] = [0, 115]
    base["xaxis2"] = {"title": {"text": "Department"}, "automargin": True}
    top = max((sum(r.plans.values()) for r in items), default=0)
    base["yaxis2"] = {"title": {"text": "Plans (count)"}, "automargin": True, **count_ticks(top)}
    # One barmode for the figure: stacking per axis is done with offsetgroup/base instead.
    states = _state_traces(items, xaxis="x2", yaxis="y2")
    running = [0] * len(items)
    for trace in states:
        trace.update(base=list(running), offsetgroup="plans")
        running = [a + b for a, b in zip(running, trace["y"], strict=True)]
    base["annotations"] = [
        {
            "text": text,
            "xref": f"{axis} domain",
            "yref": "y domain" if axis == "x" else "y2 domain",
            "x": 0,
            "y": 1.02,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
        }
        for axis, text in (("x", "Execution vs results"), ("x2", "Plans by state"))
    ]
    if not items:
        base["annotations"].append(empty_note("No departments yet."))
    figure = {"data": _execution_results_traces(items) + states, "layout": base}
    return with_table(figure, *_department_table(items))
