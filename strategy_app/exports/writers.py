"""Write export tables as CSV (streamed) or XLSX (openpyxl write-only), safe to open in Excel."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from strategy_app.services.reads.exports import DATE, DATETIME, PERCENT, TEXT, YES_NO, Table

# A spreadsheet takes a cell that starts with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_ROWS_PER_CHUNK = 500
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
XLSX_MAX_TEXT = 32_767  # Excel's limit per cell
_BOLD = Font(bold=True)
_FORMATS = {PERCENT: "0.0%"}  # dates and timestamps get a date format by themselves


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before a formula-like start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _utc_naive(value: datetime) -> datetime:
    """A timestamp in UTC without its zone (spreadsheets have none); the header says UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


# A formula start right after a separator of any locale (or a line break), through spaces and
# double quotes: a spreadsheet that splits the line at that separator would start a cell with it.
_SEPARATED_FORMULA = re.compile(r'([,;\t|\r\n][\s"]*)([=+\-@])')


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    text = neutralise(str(value).replace("\x00", ""))
    return _SEPARATED_FORMULA.sub(r"\1'\2", text)


def _csv_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _csv_datetime(value: datetime | None) -> str:
    return "" if value is None else _utc_naive(value).isoformat(sep=" ")


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _xlsx_text(value: Any) -> str | None:
    if value is None or value == "":
        return None  # an empty cell, not an empty string: the same when read, and faster
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value))[:XLSX_MAX_TEXT])


def _xlsx_datetime(value: datetime | None) -> datetime | None:
    return None if value is None else _utc_naive(value)


# How each kind of column is written; numbers and dates not listed are written as they are
# (the csv module writes numbers repr-exact and None as an empty field).
_CSV = {TEXT: _csv_text, DATE: _csv_date, DATETIME: _csv_datetime, YES_NO: _yes_no}
_XLSX = {TEXT: _xlsx_text, DATETIME: _xlsx_datetime, YES_NO: _yes_no}


def _converter(table: Table, by_kind: dict[str, Callable[[Any], Any]]):
    """A function turning one row of table into a list of cell values."""
    steps = [(n, by_kind[c.kind]) for n, c in enumerate(table.columns) if c.kind in by_kind]
    width = len(table.columns)

    def convert(row) -> list:
        values = list(row)
        if len(values) != width:
            raise ValueError(f"{table.name}: a row of {len(values)} values for {width} columns")
        for n, step in steps:
            values[n] = step(values[n])
        return values

    return convert


def csv_chunks(table: Table) -> Iterator[str]:
    """The table as CSV text in chunks: a BOM (Excel reads UTF-8 then), a header, the rows."""
    buffer = io.StringIO()
    # RFC 4180 with CRLF line ends, and every text cell in quotes, so that a separator inside
    # text stays inside the cell. A spreadsheet in a locale whose separator is ";" splits the
    # whole line at each ";" all the same, so text cells also get an apostrophe before a
    # formula start that follows any separator ("x;=1+1" is written "x;'=1+1").
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    buffer.write("\ufeff")
    writer.writerow([neutralise(c.header) for c in table.columns])
    convert = _converter(table, _CSV)
    for n, row in enumerate(table.rows, 1):
        writer.writerow(convert(row))
        if n % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _new_sheet(workbook: Workbook, table: Table, part: int):
    """A write-only sheet with widths, a bold frozen header and an autofilter."""
    title = table.title if part == 1 else f"{table.title} ({part})"
    sheet = workbook.create_sheet(title)
    for n, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=neutralise(column.header))
        cell.font = _BOLD
        header.append(cell)
    sheet.append(header)
    return sheet


def _append_table(workbook: Workbook, table: Table) -> None:
    """Write a table into its own sheet(s): past Excel's row limit it goes on in another one."""
    convert = _converter(table, _XLSX)
    formats = [(n, _FORMATS[c.kind]) for n, c in enumerate(table.columns) if c.kind in _FORMATS]
    part, rows_in_sheet = 1, 1
    sheet = _new_sheet(workbook, table, part)
    last_column = get_column_letter(len(table.columns))
    for row in table.rows:
        if rows_in_sheet == XLSX_MAX_ROWS:
            sheet.auto_filter.ref = f"A1:{last_column}{rows_in_sheet}"
            part, rows_in_sheet = part + 1, 1
            sheet = _new_sheet(workbook, table, part)
        values = convert(row)
        for n, fmt in formats:
            if values[n] is not None:
                cell = WriteOnlyCell(sheet, value=values[n])
                cell.number_format = fmt
                values[n] = cell
        sheet.append(values)
        rows_in_sheet += 1
    sheet.auto_filter.ref = f"A1:{last_column}{rows_in_sheet}"


def xlsx_file(tables: Iterable[Table]) -> IO[bytes]:
    """A workbook with one sheet per table, in a temporary file (rewound; the caller closes it).

    openpyxl's write-only mode keeps each sheet's rows in a temporary file rather than in
    memory, so the memory used does not grow with the number of rows.
    """
    workbook = Workbook(write_only=True)
    for table in tables:
        _append_table(workbook, table)
    out = tempfile.TemporaryFile()  # noqa: SIM115  (returned open: the caller closes it)
    try:
        workbook.save(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def file_chunks(file: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Read a file in chunks and close it at the end, or when the download is abandoned."""
    with file:
        while chunk := file.read(size):
            yield chunk
