"""Company strategies (executives): create, edit, reorder, archive, restore."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from strategy_app import archiving, forms, policy
from strategy_app.extensions import db
from strategy_app.models import CompanyStrategy
from strategy_app.schemas.inputs import CompanyStrategyIn, CompanyStrategyPatch
from strategy_app.services.reads import history
from strategy_app.services.writes import cascade, strategy_admin
from strategy_app.strategy import bp
from strategy_app.strategy.common import ID, owner_choices, render_form, require
from strategy_app.strategy.forms import CompanyStrategyForm

TEMPLATE = "strategy/company_form.html"


def _to_cascade():
    return redirect(url_for("strategy.cascade") + "#company-h")


@bp.route("/company/new", methods=["GET", "POST"])
def company_new():
    """Add a company strategy at the end of the order."""
    require()
    form = CompanyStrategyForm()
    form.owner_id.choices = owner_choices()
    if form.is_submitted():  # every error at once: see forms.submit_all

        def create(data: CompanyStrategyIn) -> CompanyStrategy:
            obj = cascade.create_company_strategy(current_user, data)
            strategy_admin.sync_archived(current_user, obj)
            return obj

        data = {**forms.form_data(form), "position": strategy_admin.next_company_position()}
        obj = forms.submit_all(form, CompanyStrategyIn, create, data)
        if obj is not None:
            flash(f"Company strategy “{obj.title}” added.", "success")
            return _to_cascade()
    return render_form(TEMPLATE, form, strategy=None, entries=[])


@bp.route(f"/company/<{ID}:id>/edit", methods=["GET", "POST"])
def company_edit(id: int):
    """Change a company strategy; choosing the archived status archives it (and back)."""
    require()
    obj = db.get_or_404(CompanyStrategy, id)
    archiving.refuse_if_archived(obj, company_addresses(obj))
    form = CompanyStrategyForm(obj=obj)
    form.owner_id.choices = owner_choices(obj.owner_id)
    if form.is_submitted():  # every error at once: see forms.submit_all

        def update(data: CompanyStrategyPatch) -> CompanyStrategy:
            cascade.update_company_strategy(current_user, obj, data)
            strategy_admin.sync_archived(current_user, obj)
            return obj

        if forms.submit_all(form, CompanyStrategyPatch, update) is not None:
            flash(f"Company strategy “{obj.title}” saved.", "success")
            return _to_cascade()
    return render_form(TEMPLATE, form, strategy=obj, entries=history.history(obj))


def company_addresses(obj: CompanyStrategy) -> archiving.Addresses:
    """Where a company strategy is shown (the cascade), its archive and restore actions."""
    return archiving.Addresses(
        view=url_for("strategy.cascade") + ("#archived" if obj.is_archived else "#company-h"),
        archive=url_for("strategy.company_archive", id=obj.id),
        restore=url_for("strategy.company_restore", id=obj.id),
        after_archive=url_for("strategy.cascade") + "#company-h",
    )


@bp.route(f"/company/<{ID}:id>/archive", methods=["GET", "POST"])
def company_archive(id: int):
    """Archive a company strategy after a confirmation (it leaves the cascade); "Undo" after."""
    require()
    obj = db.get_or_404(CompanyStrategy, id)
    return archiving.confirm_or_archive(
        obj,
        company_addresses(obj),
        lambda: cascade.archive(current_user, obj, policy.STRATEGY),
        where="the cascade and the alignment report",
    )


@bp.route(f"/company/<{ID}:id>/restore", methods=["POST"])
def company_restore(id: int):
    """Bring an archived company strategy back (whoever may edit it: policy.RESTORE)."""
    obj = db.get_or_404(CompanyStrategy, id)
    return archiving.restore(obj, url_for("strategy.cascade") + "#company-h")


@bp.route(f"/company/<{ID}:id>/move/<any(up, down):direction>", methods=["POST"])
def company_move(id: int, direction: str):
    """Move a company strategy one place up or down in the order."""
    require()
    obj = db.get_or_404(CompanyStrategy, id)
    if obj.archived_at is not None:
        flash("An archived strategy has no place in the order; restore it first.", "warning")
    elif strategy_admin.reorder_company_strategy(current_user, obj, direction):
        db.session.commit()
        flash(f"Moved “{obj.title}” {direction}.", "success")
    else:
        flash(
            f"“{obj.title}” is already at the {'top' if direction == 'up' else 'bottom'}.", "info"
        )
    return _to_cascade()
