"""Objective pages: the list, one objective, new/edit, archive and restore."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from strategy_app import archiving, policy
from strategy_app.extensions import db
from strategy_app.models import Objective
from strategy_app.objectives import bp, queries
from strategy_app.objectives.common import ID, as_of_date, id_arg, page_number
from strategy_app.objectives.forms import (
    ObjectiveFilterForm,
    ObjectiveForm,
    changed,
    objective_data,
    objective_form_data,
)
from strategy_app.objectives.saving import save
from strategy_app.schemas import ObjectiveIn, ObjectivePatch
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads.history import history
from strategy_app.services.writes import cascade

NONE_CHOICE = SelectChoice("", "— none —")


def _strategy_choices(including: int | None = None) -> list[SelectChoice]:
    return [
        SelectChoice(str(s.id), s.title + (" (archived)" if s.is_archived else ""))
        for s in queries.live_service_strategies(including)
    ]


def _user_choices(including: int | None = None) -> list[SelectChoice]:
    return [
        SelectChoice(str(u.id), u.name + ("" if u.active else " (deactivated)"))
        for u in queries.active_users(including)
    ]


@bp.route("/")
def index():
    """Live objectives (or ?archived=1) with status, results and execution; filtered, paged."""
    form = ObjectiveFilterForm(formdata=request.args)
    form.service_strategy.choices = [SelectChoice("", "Any service strategy"), *_strategy_choices()]
    form.owner.choices = [SelectChoice("", "Anyone"), *_user_choices()]
    archived = request.args.get("archived") == "1"
    context = {"form": form, "archived": archived, "tags": queries.tag_suggestions()}
    if not form.validate():
        return render_template("objectives/index.html", page=None, **context), 400
    filters = queries.Filters(
        service_strategy=form.service_strategy.data,
        owner=form.owner.data,
        status=form.status.data or "",
        tag=form.tag.data or "",
        q=form.q.data or "",
        archived=archived,
    )
    page, rollups = queries.objective_page(filters, page_number(), as_of_date())
    return render_template(
        "objectives/index.html", page=page, rollups=rollups, filters=filters, **context
    )


def _objective_form(obj: Objective | None = None) -> ObjectiveForm:
    if obj is None:
        form = ObjectiveForm(data={"service_strategy_id": id_arg("service_strategy_id")})
    else:
        form = ObjectiveForm(data=objective_form_data(obj))
    current = obj.service_strategy_id if obj else None
    form.service_strategy_id.choices = [
        SelectChoice("", "— choose one —"),
        *_strategy_choices(current),
    ]
    form.owner_id.choices = [NONE_CHOICE, *_user_choices(obj.owner_id if obj else None)]
    return form


def _render_form(form: ObjectiveForm, obj: Objective | None, status: int = 200):
    return render_template(
        "objectives/form.html",
        form=form,
        objective=obj,
        tags=queries.tag_suggestions(),
        invalid=status == 422,
    ), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add an objective under a service strategy (executives)."""
    policy.require(current_user, policy.STRATEGY)
    form = _objective_form()
    if request.method == "POST":
        obj = save(
            form,
            ObjectiveIn,
            lambda data: cascade.create_objective(current_user, data),
            objective_data(form),
        )
        if obj is not None:
            flash(f"Added the objective “{obj.title}”.", "success")
            return redirect(url_for("objectives.view", id=obj.id))
        return _render_form(form, None, 422)
    return _render_form(form, None)


@bp.route(f"/<{ID}:id>/edit", methods=["GET", "POST"])
def edit(id: int):
    """Change an objective (executives)."""
    obj = db.get_or_404(Objective, id)
    policy.require(current_user, policy.STRATEGY, obj)
    archiving.refuse_if_archived(obj, objective_addresses(obj))
    form = _objective_form(obj)
    if request.method == "POST":
        saved = save(
            form,
            ObjectivePatch,
            lambda data: cascade.update_objective(current_user, obj, data),
            changed(objective_data(form), obj),
        )
        if saved is not None:
            flash(f"Saved the objective “{obj.title}”.", "success")
            return redirect(url_for("objectives.view", id=obj.id))
        return _render_form(form, obj, 422)
    return _render_form(form, obj)


def objective_addresses(obj: Objective) -> archiving.Addresses:
    """The objective's page and its archive and restore actions (the shared mechanism)."""
    return archiving.Addresses(
        view=url_for("objectives.view", id=obj.id),
        archive=url_for("objectives.archive", id=obj.id),
        restore=url_for("objectives.restore", id=obj.id),
        after_archive=url_for("objectives.index"),
    )


@bp.route(f"/<{ID}:id>/archive", methods=["GET", "POST"])
def archive(id: int):
    """Archive an objective (executives) after a confirmation; "Undo" right after."""
    obj = db.get_or_404(Objective, id)
    policy.require(current_user, policy.STRATEGY, obj)
    return archiving.confirm_or_archive(
        obj,
        objective_addresses(obj),
        lambda: cascade.archive(current_user, obj, policy.STRATEGY),
    )


@bp.route(f"/<{ID}:id>/restore", methods=["POST"])
def restore(id: int):
    """Bring an archived objective back (whoever may edit it: policy.RESTORE)."""
    obj = db.get_or_404(Objective, id)
    return archiving.restore(obj, url_for("objectives.view", id=obj.id))


@bp.route(f"/<{ID}:id>")
def view(id: int):
    """One objective: status, results, execution, its indicators and plans, its history."""
    obj = queries.load_objective(id)
    if obj is None:
        abort(404)
    as_of = as_of_date()
    page = queries.objective_view(obj, as_of)
    plan_departments = [d for d in page.departments if policy.can(current_user, policy.PLAN, d)]
    return render_template(
        "objectives/view.html",
        view=page,
        objective=obj,
        today=today(),
        plan_departments=plan_departments,
        entries=history(obj),
    )
