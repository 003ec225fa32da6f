"""Many actuals at once from CSV: paste or upload, preview each line, then save all or none."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date

from flask import flash, redirect, render_template
from flask_login import current_user

from strategy_app.actuals import bp, pages
from strategy_app.actuals.forms import UploadForm
from strategy_app.extensions import db
from strategy_app.forms import attach_errors
from strategy_app.models import Indicator, Measurement
from strategy_app.schemas.common import parse
from strategy_app.services.dataio import actuals_import
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import variance

ID = pages.ID


@dataclass
class Preview:
    """What an import would do: each line, what it replaces, and where the indicator ends."""

    parsed: actuals_import.Parsed
    previous: dict[date, Measurement]
    outcome: rules.IndicatorResult | None
    token: str = ""
    lines: list[dict] = field(default_factory=list)

    @property
    def off_track(self) -> bool:
        return self.outcome is not None and self.outcome.status == rules.OFF_TRACK


def _encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def _decode(token: str | None) -> str | None:
    try:
        return base64.b64decode((token or "").encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        return None


def _preview(indicator: Indicator, text: str, extra: dict[str, list[str]] | None = None):
    """Parse the text and say, line by line, what saving it would do."""
    parsed = actuals_import.parse_csv(text)
    for key, messages in (extra or {}).items():
        line = int(key.split(".")[1]) if key.startswith("line.") else 0
        for message in messages:
            if message not in parsed.errors.get(line, []):
                parsed.add(line, message)
    previous = pages.stored_on(indicator, [r.date for r in parsed.rows])
    outcome = actuals_import.outcome(indicator, parsed, today()) if parsed.ok else None
    lines = [
        {
            "line": r.line,
            "date": r.date.isoformat(),
            "value": pages.number(r.value),
            "note": r.note,
            "old": previous.get(r.date),
            "errors": parsed.errors.get(r.line, []),
        }
        for r in parsed.rows
    ]
    for n, cells in parsed.bad.items():
        cells = [*cells, "", "", ""]
        lines.append(
            {
                "line": n,
                "date": cells[0],
                "value": cells[1],
                "note": cells[2],
                "old": None,
                "errors": parsed.errors.get(n, []),
            }
        )
    lines.sort(key=lambda x: x["line"])
    token = _encode(text) if parsed.ok else ""
    return Preview(parsed, previous, outcome, token, lines)


def _submitted_text(form: UploadForm) -> str | None:
    """The uploaded file's text, else the pasted text; None (with an error) when unreadable."""
    upload = form.csv_file.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            return actuals_import.decode(upload.read(actuals_import.MAX_BYTES + 1))
        except ValidationFailed as exc:
            form.csv_file.errors = [*form.csv_file.errors, *exc.fields["csv"]]
            return None
    text = form.csv_text.data or ""
    if not text.strip():
        form.csv_text.errors = [*form.csv_text.errors, "Paste some lines or choose a file."]
        return None
    return text


def _save_upload(form: UploadForm, indicator: Indicator) -> tuple[list, int, Preview | None]:
    """Write the previewed text: the rows and how many replaced a value, or the preview again
    with the errors."""
    if not form.validate():
        return [], 0, None
    text = _decode(form.checked.data)
    if not text:
        form.form_errors.append("The preview could not be read back: preview the lines again.")
        return [], 0, None
    days = [r.date for r in actuals_import.parse_csv(text).rows]
    replaced = len(pages.stored_on(indicator, days))

    def write():
        expl = corr = None
        if form.explaining.data:
            given = parse(variance.VarianceIn, form.explanation_data())
            expl, corr = given.explanation, given.corrective()
        return actuals_import.apply(current_user, indicator, text, expl, corr, today())

    try:
        rows = write()
        db.session.commit()
        return rows, replaced, None
    except ValidationFailed as exc:
        db.session.rollback()
        errors = exc.fields
    lines = {k: v for k, v in errors.items() if k.startswith("line.") or k == "csv"}
    attach_errors(form, {k: v for k, v in errors.items() if k not in lines})
    preview = _preview(indicator, text, lines)
    form.explaining.data = "1" if preview.off_track else ""
    return [], 0, preview


@bp.route(f"/<{ID}:indicator_id>/upload", methods=["GET", "POST"])
def upload(indicator_id: int):
    """Paste or upload CSV, preview each line (errors, replaced values), then save all or none."""
    indicator = pages.writable_or_403(pages.indicator_or_404(indicator_id))
    form = UploadForm()
    pages.set_choices(form, indicator)
    preview = None
    closed = pages.closed_reason(indicator)
    if closed and form.is_submitted():
        form.form_errors.append(closed)
    elif form.is_submitted() and form.save.data:
        rows, replaced, preview = _save_upload(form, indicator)
        if rows:
            also = f", {replaced} of them replacing an earlier value" if replaced else ""
            flash(f"Imported {len(rows)} actual(s) from CSV{also}.", "success")
            return redirect(pages.after_save_url(indicator))
    elif form.is_submitted():
        text = _submitted_text(form) if form.validate() else None
        if text is not None:
            preview = _preview(indicator, text)
            form.explaining.data = "1" if preview.off_track else ""
            if preview.parsed.errors:  # beside what was sent, and so in the summary at the top
                sent = (
                    form.csv_file if getattr(form.csv_file.data, "filename", "") else form.csv_text
                )
                bad = len(preview.parsed.errors)
                sent.errors = [
                    *sent.errors,
                    f"{bad} line{'s' if bad > 1 else ''} cannot be read: see the preview below.",
                ]
    ok = preview is not None and preview.parsed.ok and not form.errors and not form.form_errors
    status = 422 if form.is_submitted() and not ok else 200
    return render_template(
        "actuals/upload.html", form=form, preview=preview, **pages.context(indicator, today())
    ), status
