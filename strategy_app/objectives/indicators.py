"""Indicator pages: one indicator's expected versus actual results, new/edit, archive."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from strategy_app import archiving, policy
from strategy_app.extensions import db
from strategy_app.models import Indicator, Measurement, Objective
from strategy_app.objectives import bp, pages
from strategy_app.objectives.common import (
    ID,
    as_of_date,
    indicator_parent_url,
    may_edit_indicator,
    page_number,
    require_indicator_edit,
)
from strategy_app.objectives.indicator_form import (
    add_row_requested,
    create_indicator_from,
    indicator_form,
    update_indicator_from,
)
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads.history import history
from strategy_app.services.writes import cascade

MEASUREMENTS_PER_PAGE = 50


def _render_form(form, indicator: Indicator | None, objective: Objective | None, status=200):
    """The new-indicator form (objective given) or the edit form of an indicator."""
    if indicator is not None:
        parent = indicator.objective or indicator.action_plan
        cancel_url = url_for("objectives.indicator_view", indicator_id=indicator.id)
    else:
        parent, cancel_url = objective, url_for("objectives.view", id=objective.id)
    return render_template(
        "objectives/indicator_form.html",
        form=form,
        indicator=indicator,
        parent=parent,
        parent_url=indicator_parent_url(indicator) if indicator else cancel_url,
        cancel_url=cancel_url,
        invalid=status == 422,
    ), status


@bp.route(f"/<{ID}:id>/indicators/new", methods=["GET", "POST"])
def indicator_new(id: int):
    """Add an expected result to an objective (executives)."""
    objective = db.get_or_404(Objective, id)
    policy.require(current_user, policy.STRATEGY, objective)
    if objective.is_archived:
        abort(409, description="This objective is archived: restore it before adding to it.")
    form = indicator_form()
    if form.is_submitted():
        if add_row_requested(form):
            return _render_form(form, None, objective)
        indicator = create_indicator_from(form, current_user, objective_id=objective.id)
        if indicator is not None:
            flash(f"Added the indicator “{indicator.name}”.", "success")
            return redirect(url_for("objectives.view", id=objective.id))
        return _render_form(form, None, objective, 422)
    return _render_form(form, None, objective)


@bp.route(f"/indicators/<{ID}:indicator_id>/edit", methods=["GET", "POST"])
def indicator_edit(indicator_id: int):
    """Change an indicator and its milestones (who may depends on its objective or plan)."""
    indicator = db.get_or_404(Indicator, indicator_id)
    require_indicator_edit(indicator)
    archiving.refuse_if_archived(indicator, indicator_addresses(indicator))
    form = indicator_form(indicator)
    if form.is_submitted():
        if add_row_requested(form):
            return _render_form(form, indicator, None)
        if update_indicator_from(form, current_user, indicator) is not None:
            flash(f"Saved the indicator “{indicator.name}”.", "success")
            return redirect(url_for("objectives.indicator_view", indicator_id=indicator.id))
        return _render_form(form, indicator, None, 422)
    return _render_form(form, indicator, None)


def indicator_addresses(indicator: Indicator) -> archiving.Addresses:
    """The indicator's page and its archive and restore actions (the shared mechanism)."""
    return archiving.Addresses(
        view=url_for("objectives.indicator_view", indicator_id=indicator.id),
        archive=url_for("objectives.indicator_archive", indicator_id=indicator.id),
        restore=url_for("objectives.indicator_restore", indicator_id=indicator.id),
        after_archive=indicator_parent_url(indicator),
    )


@bp.route(f"/indicators/<{ID}:indicator_id>/archive", methods=["GET", "POST"])
def indicator_archive(indicator_id: int):
    """Archive an indicator after a confirmation: it leaves every computation; "Undo" after."""
    indicator = db.get_or_404(Indicator, indicator_id)
    require_indicator_edit(indicator)
    return archiving.confirm_or_archive(
        indicator,
        indicator_addresses(indicator),
        lambda: cascade.archive_indicator(current_user, indicator),
        where="every chart and computation",
    )


@bp.route(f"/indicators/<{ID}:indicator_id>/restore", methods=["POST"])
def indicator_restore(indicator_id: int):
    """Bring an archived indicator back (whoever may edit it: policy.RESTORE)."""
    indicator = db.get_or_404(Indicator, indicator_id)
    back = url_for("objectives.indicator_view", indicator_id=indicator.id)
    return archiving.restore(indicator, back)


@bp.route(f"/indicators/<{ID}:indicator_id>")
def indicator_view(indicator_id: int):
    """Any indicator: its chart and status as of a date, definition, milestones, each actual."""
    indicator = db.get_or_404(Indicator, indicator_id)
    as_of = as_of_date()
    spec = rules.IndicatorSpec.of(indicator)
    drawn = pages.indicator_chart(indicator, as_of)
    later = 0  # actuals dated after as_of: left out of the table, as out of the figures
    if as_of < today():
        later = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Measurement)
            .where(Measurement.indicator_id == indicator.id, Measurement.date > as_of)
        )
    page = db.paginate(
        sa.select(Measurement)
        .where(Measurement.indicator_id == indicator.id, Measurement.date <= as_of)
        .options(selectinload(Measurement.entered_by))
        .order_by(Measurement.date.desc()),
        page=page_number(),
        per_page=MEASUREMENTS_PER_PAGE,
        error_out=True,
    )
    plan = indicator.action_plan
    return render_template(
        "objectives/indicator_view.html",
        indicator=indicator,
        plan=plan,
        objective=indicator.objective or plan.objective,
        result=drawn.result,
        charted=drawn,
        as_of=as_of,
        today=today(),
        measurements=page,
        later_actuals=later,
        expected={m.id: rules.expected(spec, m.date) for m in page.items},
        can_edit=may_edit_indicator(indicator),
        parent_url=indicator_parent_url(indicator),
        entries=history(indicator),
    )
