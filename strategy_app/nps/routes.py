"""GET /nps/ (the trend, segments and the loop), a response entered by hand, a CSV import
with its preview, and the responses as CSV."""

from __future__ import annotations

import base64
import binascii
import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.charts import nps as nps_charts
from strategy_app.exports.writers import neutralise
from strategy_app.extensions import db
from strategy_app.forms import attach_errors
from strategy_app.main.routes import as_of_date
from strategy_app.nps import bp
from strategy_app.nps.forms import ImportForm, ResponseForm
from strategy_app.schemas.common import MAX_ID, parse
from strategy_app.schemas.nps import NpsResponseIn
from strategy_app.services.dataio import nps_import
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import nps as nps_writes


def owner_choices(blank: str | None = None) -> list[SelectChoice]:
    """People who can own a follow-up, as select choices (blank first when given)."""
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [
        SelectChoice(str(u.id), f"{u.name} ({u.role})") for u in nps_reads.follow_up_owners()
    ]


def _segment_arg() -> str | None:
    segment = request.args.get("segment") or None
    if segment is not None and (len(segment) > 80 or "\x00" in segment):
        abort(400, description="There is no such segment.")
    return segment


def _overview_page(form: ResponseForm, status: int = 200):
    as_of = as_of_date()
    segment = _segment_arg()
    view = nps_reads.overview(as_of, segment)
    title = f"NPS by month · {segment}" if segment else "NPS by month · all segments"
    figure = nps_charts.trend(view.months, title)
    return render_template(
        "nps/index.html",
        view=view,
        figure=figure,
        form=form,
        segment_names=nps_reads.segments(),
        month_label=nps_charts.month_label,
        today=today(),
    ), status


def schema_errors(form, schema, data: dict) -> None:
    """When the form's widgets refused something, the schema's errors of the other fields
    too (beside each field), so that one round trip reports every error it can."""
    try:
        parse(schema, data)
    except ValidationFailed as exc:
        fresh = {}
        for key, messages in exc.fields.items():
            field = form._fields.get(key)
            if field is None or not any(isinstance(e, str) for e in field.errors):
                fresh[key] = messages
        attach_errors(form, fresh)


def _chosen_owner(form: ResponseForm) -> int | None:
    """The follow-up owner chosen (None: who enters it); 0 with an error when not an id."""
    value = (form.owner_id.data or "").strip()
    if not value:
        return None
    if not (value.isdigit() and 1 <= int(value) <= MAX_ID):
        form.owner_id.errors = [*form.owner_id.errors, "Choose one from the list."]
        return 0
    return int(value)


def _response_form() -> ResponseForm:
    form = ResponseForm()
    form.owner_id.choices = owner_choices()
    if not form.is_submitted():
        form.owner_id.data = str(current_user.id)
        form.date.data = today()
    return form


@bp.route("/")
def index():
    """NPS by month with the trend chart, by segment, the closed loop, the latest answers."""
    return _overview_page(_response_form())


@bp.post("/responses")
def add_response():
    """Record one answer; a detractor's opens a follow-up at once."""
    policy.require(current_user, policy.HEALTH)
    form = _response_form()
    valid = form.validate()
    owner_id = _chosen_owner(form)
    data = {
        "date": form.date.data,
        "score": form.score.data,
        "segment": (form.segment.data or "").strip(),
        "customer_ref": (form.customer_ref.data or "").strip(),
        "comment": (form.comment.data or "").strip(),
        "owner_id": owner_id or None,
    }
    if not valid or owner_id == 0:
        schema_errors(form, NpsResponseIn, data)
    else:
        try:
            response = nps_writes.add_response(current_user, parse(NpsResponseIn, data), today())
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc.fields)
        else:
            if response.follow_up is not None:
                flash("Response recorded: a detractor, so a follow-up is open.", "success")
                return redirect(url_for("nps.follow_up", id=response.follow_up.id))
            flash("Response recorded.", "success")
            return redirect(url_for("nps.index"))
    return _overview_page(form, 422)


def _encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def _decode(token: str | None) -> str | None:
    try:
        return base64.b64decode((token or "").encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        return None


def _submitted_text(form: ImportForm) -> str | None:
    upload = form.csv_file.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            return nps_import.decode(upload.read(nps_import.MAX_BYTES + 1))
        except ValidationFailed as exc:
            form.csv_file.errors = [*form.csv_file.errors, *exc.fields["csv"]]
            return None
        finally:
            upload.close()
    text = form.csv_text.data or ""
    if len(text.encode("utf-8", "surrogatepass")) > nps_import.MAX_BYTES:
        form.csv_text.errors = [*form.csv_text.errors, "Too much text: at most 2 MB at a time."]
        return None
    if not text.strip():
        form.csv_text.errors = [*form.csv_text.errors, "Paste some lines or choose a file."]
        return None
    return text


def _preview_problem(form: ImportForm, parsed: nps_import.Parsed) -> None:
    """Why the text cannot be saved, beside the field it came from (the preview says more)."""
    upload = form.csv_file.data
    field = form.csv_file if upload is not None and getattr(upload, "filename", "") else None
    field = field or form.csv_text
    if parsed.file_errors:
        message = parsed.file_errors[0]
    else:
        count = len(parsed.bad)
        lines = "1 line has" if count == 1 else f"{count} lines have"
        message = f"{lines} errors: see the preview below, correct them and preview again."
    field.errors = [*field.errors, message]


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    """Paste or upload CSV, preview each line with its errors, then save all or none."""
    policy.require(current_user, policy.HEALTH)
    form = ImportForm()
    parsed = token = None
    if form.is_submitted() and form.save.data:
        text = _decode(form.checked.data) if form.validate() else None
        if text is None:
            form.form_errors.append("The preview could not be read back: preview it again.")
        else:
            try:
                count = nps_import.apply(current_user, text, today())
                db.session.commit()
            except ValidationFailed:
                db.session.rollback()
                parsed = nps_import.parse_csv(text, today())
                if parsed.ok:  # refused for another reason (a limit of the write)
                    form.form_errors.append("Nothing was saved: the lines changed meanwhile.")
            else:
                flash(f"Imported {count} response(s).", "success")
                return redirect(url_for("nps.index"))
    elif form.is_submitted():
        text = _submitted_text(form) if form.validate() else None
        if text is not None:
            parsed = nps_import.parse_csv(text, today())
            token = _encode(text) if parsed.ok else None
            if not parsed.ok:
                _preview_problem(form, parsed)
    ok = token is not None
    status = 422 if form.is_submitted() and not ok else 200
    return render_template(
        "nps/import.html",
        form=form,
        parsed=parsed,
        token=token,
        labels=nps_import.COLUMN_LABELS,
        max_rows=nps_import.MAX_ROWS,
    ), status


@bp.errorhandler(413)
def too_large(exc):
    """A file over the app's upload limit: said beside the file field, nothing read."""
    if request.endpoint != "nps.import_csv":
        return exc
    form = ImportForm(formdata=None)
    form.csv_file.errors = ["The file is far larger than 2 MB; split it and import each part."]
    return render_template(
        "nps/import.html",
        form=form,
        parsed=None,
        token=None,
        labels=nps_import.COLUMN_LABELS,
        max_rows=nps_import.MAX_ROWS,
    ), 413


@bp.route("/responses.csv")
def export_csv():
    """Every live response at ?as_of= as CSV, text neutralised for spreadsheets."""
    as_of = as_of_date()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Date", "Score", "Category", "Segment", "Customer reference", "Comment", "Follow-up"]
    )
    for r in nps_reads.export_rows(as_of):
        writer.writerow(
            [
                r.date.isoformat(),
                r.score,
                r.category,
                neutralise(r.segment),
                neutralise(r.customer_ref),
                neutralise(r.comment.replace("\x00", "")),
                r.follow_up_state or "",
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="nps-{as_of.isoformat()}.csv"'},
    )
