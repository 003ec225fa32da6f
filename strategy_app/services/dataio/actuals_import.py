"""Actuals from CSV text (`date,value,note`): parsed row by row, then written all or nothing.

The text may start with a header, use commas or semicolons (then a decimal comma is read as a
point), come with or without a UTF-8 byte-order mark, and hold at most 1,000 rows in 1 MB.
Each row is validated by schemas.inputs.MeasurementIn and written by services.measurements.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from strategy_app.models import Indicator, Measurement, User
from strategy_app.schemas import inputs
from strategy_app.schemas.common import parse
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import measurements, variance

MAX_ROWS = 1_000
MAX_BYTES = 1024 * 1024
SOURCE = "import"
_HEADER = ("date", "value", "note")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN = 60  # characters of a bad cell quoted in its error


@dataclass
class Row:
    """One valid line of the file."""

    line: int
    date: date
    value: float
    note: str


@dataclass
class Parsed:
    """The valid rows, the errors by line number (0: the file as a whole), the delimiter."""

    rows: list[Row] = field(default_factory=list)
    errors: dict[int, list[str]] = field(default_factory=dict)
    bad: dict[int, list[str]] = field(default_factory=dict)  # the cells of each bad line
    delimiter: str = ","

    @property
    def ok(self) -> bool:
        """Whether every line is valid and there is something to write."""
        return not self.errors and bool(self.rows)

    def add(self, line: int, message: str) -> None:
        self.errors.setdefault(line, []).append(message)

    def as_fields(self) -> dict[str, list[str]]:
        """The errors keyed as a ValidationFailed's fields ("csv" or "line.<n>")."""
        return {("csv" if n == 0 else f"line.{n}"): m for n, m in sorted(self.errors.items())}


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8, with or without a byte-order mark, at most 1 MB."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed({"csv": ["The file is larger than 1 MB."]})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            {"csv": [f"Line {line} is not UTF-8 text: save the file as “CSV UTF-8” and retry."]}
        ) from None


def _quote(text: str) -> str:
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return f"“{shown}”"


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if ";" in first else ","


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower() == "date"


def _row_errors(cells: list[str], fields: dict[str, list[str]]) -> list[str]:
    """Each schema error of a row, naming the field and quoting what was there."""
    out = []
    for name, messages in fields.items():
        index = _HEADER.index(name) if name in _HEADER else None
        raw = cells[index] if index is not None and index < len(cells) else ""
        for message in messages:
            if name == "date" and not _ISO_DATE.fullmatch(raw.strip()):
                message = "write dates as YYYY-MM-DD, e.g. 2026-06-30"
            elif name == "value" and "valid number" in message:
                message = "not a number"
            quoted = f" {_quote(raw)}" if name in ("date", "value") else ""
            out.append(f"{name}{quoted}: {message}.".replace("..", "."))
    return out


def _values(cells: list[str], delimiter: str) -> dict[str, str]:
    date_, value = cells[0].strip(), cells[1].strip()
    if delimiter == ";" and _DECIMAL_COMMA.fullmatch(value):
        value = value.replace(",", ".")
    return {"date": date_, "value": value, "note": cells[2] if len(cells) > 2 else ""}


def parse_csv(text: str) -> Parsed:
    """Every row of the text validated: the good rows, and the errors by line number."""
    text = text.removeprefix("\ufeff")
    parsed = Parsed(delimiter=_delimiter(text))
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        parsed.add(0, "The text is larger than 1 MB: split it into several imports.")
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter, strict=True)
    seen: dict[date, int] = {}
    data_lines = 0
    first = True
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            hint = str(exc)
            if "end of data" in hint:
                hint = "a quote is not closed"
            elif "field limit" in hint:
                hint = f"a cell holds more than {csv.field_size_limit():,} characters"
            parsed.add(line, f"cannot be read as CSV: {hint}.")
            parsed.bad[line] = []
            break
        if not any(c.strip() for c in cells):
            continue  # blank lines are skipped
        if first and _is_header(cells):
            first = False
            continue
        first = False
        data_lines += 1
        if data_lines > MAX_ROWS:
            parsed.add(0, f"More than {MAX_ROWS:,} rows: split the file into several imports.")
            break
        if len(cells) < 2 or len(cells) > 3:
            parsed.bad[line] = cells
            parsed.add(
                line,
                f"expected date{parsed.delimiter}value{parsed.delimiter}note, found"
                f" {len(cells)} column(s) (put a note that holds the delimiter in quotes).",
            )
            continue
        try:
            item = parse(inputs.MeasurementIn, _values(cells, parsed.delimiter))
        except ValidationFailed as exc:
            parsed.bad[line] = cells
            for message in _row_errors(cells, exc.fields):
                parsed.add(line, message)
            continue
        if item.date in seen:
            parsed.bad[line] = cells
            parsed.add(line, f"{item.date.isoformat()} is also on line {seen[item.date]}.")
            continue
        seen[item.date] = line
        parsed.rows.append(Row(line, item.date, item.value, item.note))
    if not data_lines and not parsed.errors:
        parsed.add(0, "There are no rows to import: paste lines like 2026-06-30,78.5,note.")
    return parsed


def outcome(indicator: Indicator, parsed: Parsed, as_of: date) -> rules.IndicatorResult | None:
    """How the indicator would stand after the import (None when the rows change nothing)."""
    return variance.evaluate_with(indicator, ((r.date, r.value) for r in parsed.rows), as_of)


def apply(
    actor: User,
    indicator: Indicator,
    text: str,
    explanation: str | None = None,
    corrective: variance.Corrective | None = None,
    as_of: date | None = None,
) -> list[Measurement]:
    """Write every row of the text to the indicator (source "import"), or none.

    When the rows leave the indicator off track, an explanation and a corrective action are
    required (services.variance), as for a single actual. Raises ValidationFailed naming each
    bad line ("line.<n>"), or PermissionDenied; the caller commits.
    """
    parsed = parse_csv(text)
    if not parsed.ok:
        raise ValidationFailed(parsed.as_fields(), "Some lines are not valid; nothing was saved.")
    result = outcome(indicator, parsed, as_of or today())
    off_track = result is not None and result.status == rules.OFF_TRACK
    if off_track and (explanation is None or corrective is None):
        raise ValidationFailed(
            {"explanation": ["These actuals leave the indicator off track: say why."]}
        )
    if off_track:
        variance.check_explanation(indicator, explanation, corrective)
    deciding = max(parsed.rows, key=lambda r: r.date)
    items = []
    for row in parsed.rows:
        data = inputs.MeasurementIn(date=row.date, value=row.value, note=row.note)
        if off_track and row is deciding:
            try:
                data = variance.noted(data, explanation, corrective)
            except ValidationFailed as exc:
                raise ValidationFailed({f"line.{row.line}": exc.fields["note"]}) from None
        item = inputs.BatchItem(indicator_id=indicator.id, **data.model_dump())
        items.append((row.line, item))
    try:
        rows = measurements.record_batch(actor, items, source=SOURCE)
    except ValidationFailed as exc:
        raise ValidationFailed(_by_line(exc.fields), exc.message) from None
    if off_track:
        row = max(rows, key=lambda m: m.date)
        variance.explain(actor, indicator, row, explanation, corrective, result)
    return rows


def _by_line(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """record_batch's "items.<line>.<field>" keys as "line.<line>"."""
    out: dict[str, list[str]] = {}
    for key, messages in fields.items():
        parts = key.split(".")
        name = f"line.{parts[1]}" if len(parts) > 1 and parts[0] == "items" else "csv"
        out.setdefault(name, []).extend(messages)
    return out
