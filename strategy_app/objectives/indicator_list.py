"""GET /objectives/indicators/: every live indicator with its status, filtered and paged."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from strategy_app.extensions import db
from strategy_app.models import Department, Objective
from strategy_app.objectives import bp
from strategy_app.objectives.common import page_number
from strategy_app.objectives.forms import STATUS_LABELS, id_in_range, int_or_none
from strategy_app.reports.paging import paginate_list
from strategy_app.services.evaluation.clock import today
from strategy_app.services.evaluation.rules import STATUSES
from strategy_app.services.plumbing import per_version
from strategy_app.services.reads import indicator_list
from strategy_app.widgets import QuickSelect

PER_PAGE = 50
NO_UNIT = "(none)"


class IndicatorFilterForm(FlaskForm):
    """Filters of the indicator list, read from the query string."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(s, STATUS_LABELS[s]) for s in STATUSES],
        default="",
    )
    department = SelectField(
        "Department", coerce=int_or_none, validate_choice=False, validators=[id_in_range]
    )
    objective = SelectField(
        "Objective",
        coerce=int_or_none,
        validate_choice=False,
        validators=[id_in_range],
        widget=QuickSelect(),
    )
    unit = SelectField("Unit", default="")


def _objectives() -> list[SelectChoice]:
    """The live objectives to filter by (kept per data version: there may be hundreds)."""
    objectives = db.session.execute(
        sa.select(Objective.id, Objective.title)
        .where(Objective.archived_at.is_(None))
        .order_by(Objective.title, Objective.id)
    )
    return [SelectChoice("", "Any objective")] + [SelectChoice(str(i), t) for i, t in objectives]


@bp.route("/indicators/")
def indicator_index():
    """Every live indicator, worst status first; filters: status, department, objective, unit."""
    form = IndicatorFilterForm(formdata=request.args)
    departments = db.session.execute(
        sa.select(Department.id, Department.name)
        .where(Department.archived_at.is_(None))
        .order_by(Department.position, Department.name)
    ).all()
    units = indicator_list.units()
    form.department.choices = [SelectChoice("", "Any department")] + [
        SelectChoice(str(i), n) for i, n in departments
    ]
    form.objective.choices = per_version.memo(
        "indicator_filter_objectives", None, _objectives, reads={"Objective"}
    )
    form.unit.choices = [
        SelectChoice("", "Any unit"),
        SelectChoice(NO_UNIT, "No unit"),
        *(SelectChoice(u, u) for u in units),
    ]
    if not form.validate():
        return render_template("objectives/indicator_list.html", form=form, page=None), 400
    unit = form.unit.data or None
    filters = indicator_list.Filters(
        status=form.status.data or "",
        department=form.department.data,
        objective=form.objective.data,
        unit="" if unit == NO_UNIT else unit,
    )
    found = indicator_list.rows(filters, today())
    counts = {s: 0 for s in STATUSES}
    for row in found:
        counts[row.result.status] += 1
    page = paginate_list(found, PER_PAGE, page_number())
    return render_template(
        "objectives/indicator_list.html", form=form, page=page, filters=filters, counts=counts
    )
