"""The cascade page and the organization (name, vision, mission); strategies in their modules."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from strategy_app import forms, policy
from strategy_app.main.routes import as_of_date
from strategy_app.security import signed_in_only
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads import history
from strategy_app.services.writes import strategy_admin
from strategy_app.strategy import bp, cascade_page
from strategy_app.strategy.common import render_form, require
from strategy_app.strategy.forms import OrganizationForm

bp.before_request(signed_in_only)


# Plans listed per department under each objective; the rest are a link to the plans list.
PLANS_SHOWN = 5
# Objectives listed under each service strategy; the rest are counted by status, with links
# to the objectives list (a portfolio of hundreds would make a page of megabytes).
OBJECTIVES_SHOWN = 12


@bp.route("/")
def cascade():
    """Vision → company strategies → service strategies and their fit → objectives → plans."""
    page = cascade_page.build(
        as_of_date(),
        with_archived=policy.can(current_user, policy.ADMIN),
        objectives_per_service=OBJECTIVES_SHOWN,
    )
    return render_template(
        "strategy/cascade.html",
        page=page,
        view=page.view,
        today=today(),
        plans_shown=PLANS_SHOWN,
    )


@bp.route("/organization", methods=["GET", "POST"])
def organization_edit():
    """Write the organization's name, vision and mission (executives)."""
    require()
    org = strategy_admin.organization()
    form = OrganizationForm(obj=org)
    if form.is_submitted():  # every error at once: see forms.submit_all
        saved = forms.submit_all(
            form,
            strategy_admin.OrganizationIn,
            lambda data: strategy_admin.update_organization(current_user, data),
        )
        if saved is not None:
            flash("Saved the vision and mission.", "success")
            return redirect(url_for("strategy.cascade"))
    entries = history.history(org) if org is not None else []
    return render_form("strategy/organization_form.html", form, org=org, entries=entries)


from strategy_app.strategy import company, service  # noqa: E402, F401  (their routes)
