"""GET /exports/ (the list), the CSV and XLSX downloads, and GET /exports/report (printable)."""

from __future__ import annotations

import io
from datetime import date

from flask import Response, render_template, request, stream_with_context

from strategy_app.exports import bp, writers
from strategy_app.exports import report as report_page
from strategy_app.main.routes import as_of_date
from strategy_app.security import signed_in_only
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import data_version
from strategy_app.services.reads import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = 'any(plans, indicators, actuals, objectives, "check-ins")'


bp.before_request(signed_in_only)


def _archived() -> bool:
    """?archived=1 adds archived items (and those under an archived parent)."""
    return request.args.get("archived") == "1"


def _chosen_date() -> date | None:
    """The ?as_of= the user chose, or None (a bad date is a 400)."""
    return as_of_date() if request.args.get("as_of") else None


def _table(kind: str) -> exports.Table:
    """The export of that kind at the chosen date (actuals: all of them unless one is chosen)."""
    if kind == "actuals":
        return exports.actuals(_chosen_date(), _archived())
    if kind == "check-ins":
        return exports.check_ins(_chosen_date(), _archived())
    return {**exports.TABLES, **exports.MORE_TABLES}[kind](as_of_date(), _archived())


def _filename(kind: str, extension: str) -> str:
    """plans-2026-06-15.csv: what, as of when, and whether archived items are in it."""
    day = (_chosen_date() or today()).isoformat()
    return f"{kind}-{day}{'-with-archived' if _archived() else ''}.{extension}"


@bp.route("/")
def index():
    """The exports, their formats, and the as-of date and archived choice their links carry."""
    chosen = _chosen_date()
    args = {}
    if chosen:
        args["as_of"] = chosen.isoformat()
    if _archived():
        args["archived"] = "1"
    return render_template(
        "exports/index.html", as_of=chosen or today(), chosen=chosen, args=args, today=today()
    )


@bp.route(f"/<{KINDS}:kind>.csv")
def csv_export(kind: str):
    """One export as CSV, streamed a few hundred rows at a time."""
    table = _table(kind)
    chunks = stream_with_context(writers.csv_chunks(table))
    return _attachment(Response(chunks, mimetype="text/csv; charset=utf-8"), kind, "csv")


def _attachment(response: Response, kind: str, extension: str) -> Response:
    """Mark response as a download with a dated file name."""
    name = _filename(kind, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _send_xlsx(tables: list[exports.Table], kind: str) -> Response:
    """The workbook of tables, read back from its temporary file (closed once sent)."""
    workbook = writers.xlsx_file(tables)
    size = workbook.seek(0, io.SEEK_END)
    workbook.seek(0)
    response = Response(writers.file_chunks(workbook), mimetype=XLSX)
    response.content_length = size
    return _attachment(response, kind, "xlsx")


@bp.route(f"/<{KINDS}:kind>.xlsx")
def xlsx_export(kind: str):
    """One export as an XLSX workbook."""
    return _send_xlsx([_table(kind)], kind)


@bp.route("/all.xlsx")
def all_xlsx():
    """Plans, indicators and actuals as three sheets of one workbook."""
    return _send_xlsx([_table(kind) for kind in exports.TABLES], "all")


@bp.route("/report")
def report():
    """The printable report: summary, then one section per department."""
    printing = request.args.get("print") == "1"
    as_of, now = as_of_date(), today()
    # The whole body, the same for every reader, kept until something changes; after a
    # change, report_page.render renders again only the departments' sections it touched.
    kept = data_version.cache().get_or_compute(
        ("report", as_of, now, printing), lambda: report_page.render(as_of, now, printing)
    )
    return render_template("exports/report.html", body=kept, as_of=as_of)
