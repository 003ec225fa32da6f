"""NPS responses from CSV (`date, score, segment, customer reference, comment`): every line
checked and shown in a preview, then written all or nothing by services.writes.nps.

The file may start with a header, use commas or semicolons, carry a UTF-8 byte-order mark,
and hold at most MAX_ROWS lines in MAX_BYTES. Each line is validated by
schemas.nps.NpsResponseIn (scores 0–10, no formula-looking text) and its date must lie between
2000-01-01 and today.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from strategy_app.models import User
from strategy_app.schemas.common import errors_by_field
from strategy_app.schemas.nps import NpsResponseIn
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import nps as nps_writes

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
COLUMNS = ("date", "score", "segment", "customer_ref", "comment")
COLUMN_LABELS = {
    "date": "Date",
    "score": "Score",
    "segment": "Segment",
    "customer_ref": "Customer reference",
    "comment": "Comment",
}
_HEADER_WORDS = {"date", "day", "when"}


@dataclass
class Line:
    """One line of the file: its cells, the response it makes, or why it cannot."""

    number: int
    cells: dict[str, str]
    response: NpsResponseIn | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    """Every line, and the errors of the file as a whole."""

    lines: list[Line] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing wrong anywhere, and something to write."""
        return not self.file_errors and bool(self.lines) and not self.bad

    @property
    def bad(self) -> list[Line]:
        return [line for line in self.lines if line.errors]


def decode(raw: bytes) -> str:
    """The file's text; ValidationFailed when too large or not UTF-8."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(
            {"csv": [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."]}
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"csv": ["The file is not UTF-8 text; save it as “CSV UTF-8” and try again."]}
        ) from None


def _friendly(name: str, messages: list[str]) -> list[str]:
    label = COLUMN_LABELS.get(name, name)
    out = []
    for m in messages:
        if name == "score":
            m = "must be a whole number from 0 to 10"
        elif name == "date":
            m = "must be a date written YYYY-MM-DD"
        out.append(f"{label}: {m}")
    return out


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower() in _HEADER_WORDS


def parse_csv(text: str, today: date) -> Parsed:
    """Check every line of the text (nothing is written)."""
    parsed = Parsed()
    if "\x00" in text:
        parsed.file_errors.append("The file contains NUL characters; it is not a CSV file.")
        return parsed
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        parsed.file_errors.append(f"The file cannot be read as CSV: {exc}.")
        return parsed
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if numbered and _is_header(numbered[0][1]):
        numbered = numbered[1:]
    if len(numbered) > MAX_ROWS:
        parsed.file_errors.append(
            f"The file has {len(numbered):,} lines; at most {MAX_ROWS:,} can be imported at once."
        )
        return parsed
    if not numbered:
        parsed.file_errors.append("The file has no lines to import.")
        return parsed
    for n, cells in numbered:
        values = dict(zip(COLUMNS, (c.strip() for c in cells), strict=False))
        line = Line(n, {k: values.get(k, "") for k in COLUMNS})
        if len(cells) > len(COLUMNS):
            line.errors.append(f"Has {len(cells)} columns; expected at most {len(COLUMNS)}.")
        data = {k: v for k, v in values.items() if v != "" or k in ("date", "score")}
        bad_fields: dict[str, list[str]] = {}
        try:
            line.response = NpsResponseIn.model_validate(data)
        except ValidationError as exc:
            bad_fields = errors_by_field(exc)
        for name, messages in bad_fields.items():
            line.errors.extend(_friendly(name, messages))
        if "date" not in bad_fields:  # a readable date: also within 2000 … today?
            day = line.response.date if line.response else _day(line.cells["date"])
            if day is not None and (problem := nps_writes.date_problem(day, today)):
                line.errors.insert(0, f"Date: {problem}")
        if line.errors:
            line.response = None
        parsed.lines.append(line)
    return parsed


def apply(actor: User, text: str, today: date) -> int:
    """Write the text's responses, all or nothing; ValidationFailed naming each bad line."""
    parsed = parse_csv(text, today)
    if parsed.file_errors:
        raise ValidationFailed({"csv": parsed.file_errors})
    if not parsed.ok:
        raise ValidationFailed({f"line {line.number}": line.errors for line in parsed.bad})
    return nps_writes.import_responses(actor, [line.response for line in parsed.lines], today)
