"""Numbers and days as people write them: the one place that formats a number, a percentage
or a day in a sentence ("20 November 2026", never "2026-11-20").

Pages (the Jinja filters `number` and `percent`), charts, meeting mode, the report and the
exports all call these. An indicator's numbers are shown with its display precision: the
decimals set on it, or derived from its unit and values (enough to tell a twentieth of the
way from baseline to target apart, and no fewer than its baseline and target are written
with).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

MAX_DECIMALS = 3


def _written_decimals(value: float) -> int:
    """How many decimals a value is written with (0.25 → 2, 80 → 0), at most MAX_DECIMALS."""
    text = f"{value:.{MAX_DECIMALS}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def derive_decimals(unit: str, values: Iterable[float | None]) -> int:
    """The decimals an indicator's numbers are shown with, from its unit and its values
    (baseline and target first): a twentieth of the span between the first two readable."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return 0
    span = abs(finite[1] - finite[0]) if len(finite) > 1 else 0.0
    span = span or abs(finite[0]) or 1.0
    decimals = math.ceil(math.log10(20 / span))
    written = max((_written_decimals(v) for v in finite[:2]), default=0)
    if unit.strip().startswith("%") or "percent" in unit.lower():
        decimals = min(decimals, 1)  # a percentage with more than a decimal is noise
    return max(0, min(MAX_DECIMALS, max(decimals, written)))


def decimals_of(indicator: Any) -> int:
    """An indicator's display precision: its own setting, or derived from unit and values."""
    chosen = getattr(indicator, "display_precision", None)
    if chosen is not None:
        return chosen
    # baseline and target only: nothing to load (milestones lie between them anyway)
    return derive_decimals(indicator.unit or "", [indicator.baseline_value, indicator.target_value])


def fmt(value: float | None, decimals: int | None = None) -> str:
    """A number for people: thousands separated, `decimals` decimals (or, without them, at
    least four significant digits and no trailing zeros); "—" for none."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        if value == 0:
            return "0"
        decimals = min(max(0, 3 - math.floor(math.log10(abs(value)))), 6)
        text = f"{value:,.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]  # "-0.0" is written "0.0"
    return text


def rounded(value: float | None, decimals: int | None) -> float | None:
    """A value rounded to the decimals it is shown with (for exports), None kept."""
    if value is None or decimals is None or not math.isfinite(value):
        return value
    return round(value, decimals)


def pct(fraction: float | None, decimals: int = 0) -> str:
    """A share as a percentage, written one way everywhere: 0.423 → "42%"; none → "—"."""
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{decimals}f}%"


def percent_value(fraction: float | None, decimals: int = 1) -> float | int | None:
    """A share as a number of percent for a table cell: 0.6543 → 65.4 (65 with no decimals)."""
    if fraction is None:
        return None
    return round(fraction * 100) if decimals == 0 else round(fraction * 100, decimals)


def day(value: date | None) -> str:
    """A day as people write it in a sentence: 20 November 2026; none → "—"."""
    if value is None:
        return "—"
    return f"{value.day} {value:%B} {value.year}"
