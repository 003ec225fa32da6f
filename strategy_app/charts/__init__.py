"""Plotly figure builders: plain data in, figure JSON (a dict) out; no database, no request.

Every builder takes a surface (style.py: PAGE, PHONE, MEETING, PRINT) and lays the figure
out for it; PAGE and PRINT figures carry the phone's layout for narrow screens. Every figure
has a title, axis titles with units, status colours that are also told by a
symbol or pattern and a word, and a table of the same figures in ``layout.meta.table``
(``{"headers": [...], "rows": [[...], ...]}``) that the ``chart()`` macro of
templates/_charts.html renders as the chart's table view. Numbers come from
services.rules; nothing here re-computes a rule.

Builders:
  expected_vs_actual(spec, measurements, as_of, name, unit)  one indicator, in full
  small_multiples([(title, figure), ...], columns=2)          several of those, one grid
  department_comparison(rows)                                  execution vs results, plans by state
  execution_vs_results(rows), overdue_by_department(rows), objectives_by_service(rows),
  biggest_misses(rows), timeline(bars, as_of), strategy_map(nodes)
"""

from strategy_app.charts.base import (
    FIT_LABELS,
    PLAN_STATE_COLOURS,
    PLAN_STATE_LABELS,
    STATUS_COLOURS,
    STATUS_ICONS,
    STATUS_LABELS,
    STATUS_PATTERNS,
    STATUS_SYMBOLS,
    fmt_number,
    pct_text,
    plain,
    status_colours,
    status_text,
)
from strategy_app.charts.cascade import MapNode, TimelineBar, strategy_map, timeline
from strategy_app.charts.comparisons import (
    DepartmentRow,
    Miss,
    biggest_misses,
    department_comparison,
    execution_vs_results,
    objectives_by_service,
    overdue_by_department,
)
from strategy_app.charts.indicator import expected_vs_actual, small_multiples
from strategy_app.charts.style import MEETING, PAGE, PHONE, PRINT, SURFACES, Surface

__all__ = [
    "FIT_LABELS",
    "MEETING",
    "PAGE",
    "PHONE",
    "PLAN_STATE_COLOURS",
    "PLAN_STATE_LABELS",
    "PRINT",
    "STATUS_COLOURS",
    "STATUS_ICONS",
    "STATUS_LABELS",
    "STATUS_PATTERNS",
    "STATUS_SYMBOLS",
    "SURFACES",
    "DepartmentRow",
    "MapNode",
    "Miss",
    "Surface",
    "TimelineBar",
    "biggest_misses",
    "department_comparison",
    "execution_vs_results",
    "expected_vs_actual",
    "fmt_number",
    "objectives_by_service",
    "overdue_by_department",
    "pct_text",
    "plain",
    "small_multiples",
    "status_colours",
    "status_text",
    "strategy_map",
    "timeline",
]
