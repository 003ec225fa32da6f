"""Service strategies (executives write, everyone reads): page, form with links, archive."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from strategy_app import archiving, forms, policy
from strategy_app.extensions import db
from strategy_app.main.routes import as_of_date
from strategy_app.models import CompanyStrategy, Objective, ServiceStrategy, StrategyLink
from strategy_app.objectives.common import page_number
from strategy_app.reports.paging import paginate_list
from strategy_app.schemas.inputs import ServiceStrategyIn, ServiceStrategyPatch
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.reads import history
from strategy_app.services.writes import cascade, strategy_admin
from strategy_app.strategy import bp
from strategy_app.strategy.common import ID, owner_choices, render_form, require, submit_rows
from strategy_app.strategy.forms import SERVICE_STATUS_CHOICES, ServiceStrategyForm

TEMPLATE = "strategy/service_form.html"
OBJECTIVES_SHOWN = 25  # per page of the strategy's objectives


def _live_company() -> list[CompanyStrategy]:
    return list(
        db.session.scalars(
            sa.select(CompanyStrategy)
            .where(CompanyStrategy.archived_at.is_(None))
            .order_by(CompanyStrategy.position, CompanyStrategy.id)
        )
    )


def _service(id: int) -> ServiceStrategy:
    """The service strategy with its links and their company strategies loaded."""
    return db.get_or_404(
        ServiceStrategy,
        id,
        options=[selectinload(ServiceStrategy.links).selectinload(StrategyLink.company_strategy)],
    )


def _link_rows(company: list[CompanyStrategy], links: list[StrategyLink]) -> list[dict]:
    """One form row per live company strategy, filled in from the existing links."""
    by_company = {link.company_strategy_id: link for link in links}
    rows = []
    for cs in company:
        link = by_company.get(cs.id)
        rows.append(
            {
                "company_strategy_id": str(cs.id),
                "fit": link.fit if link else "",
                "rationale": link.rationale if link else "",
            }
        )
    return rows


def _submitted(form: ServiceStrategyForm) -> tuple[dict[str, Any], list[int]]:
    """The schema's data from the form: only the rows given a fit become links."""
    data = forms.form_data(form, exclude=frozenset({"links"}))
    links, rows = [], []
    for index, entry in enumerate(form.links.entries):
        if entry.fit.data:
            links.append(
                {
                    "company_strategy_id": entry.company_strategy_id.data,
                    "fit": entry.fit.data,
                    "rationale": entry.rationale.data or "",
                }
            )
            rows.append(index)
    data["links"] = links
    return data, rows


def _form_page(form: ServiceStrategyForm, company: list[CompanyStrategy], **context: Any):
    titles = {str(cs.id): cs.title for cs in company}
    return render_form(TEMPLATE, form, company_titles=titles, **context)


@bp.route("/service/new", methods=["GET", "POST"])
def service_new():
    """Write a service strategy and how it fits each company strategy."""
    require()
    company = _live_company()
    form = ServiceStrategyForm(data={"links": _link_rows(company, [])})
    form.owner_id.choices = owner_choices()
    if form.is_submitted():  # every error at once: see forms.submit_all
        data, rows = _submitted(form)
        obj = submit_rows(
            form,
            ServiceStrategyIn,
            lambda d: cascade.create_service_strategy(current_user, d),
            data,
            rows,
        )
        if obj is not None:
            flash(f"Service strategy “{obj.title}” added.", "success")
            return redirect(url_for("strategy.service_view", id=obj.id))
    return _form_page(form, company, strategy=None, dropped=[], entries=[])


@bp.route(f"/service/<{ID}:id>/edit", methods=["GET", "POST"])
def service_edit(id: int):
    """Change a service strategy; the links sent replace all its links."""
    require()
    obj = _service(id)
    archiving.refuse_if_archived(obj, service_addresses(obj))
    company = _live_company()
    live_ids = {cs.id for cs in company}
    # Not obj=obj: WTForms would then fill the rows from obj.links, one per existing link only.
    fields = ("title", "statement", "owner_id", "period_start", "period_end", "status")
    initial = {name: getattr(obj, name) for name in fields}
    form = ServiceStrategyForm(data={**initial, "links": _link_rows(company, obj.links)})
    form.owner_id.choices = owner_choices(obj.owner_id)
    if obj.archived_at is not None:
        form.status.choices = [*SERVICE_STATUS_CHOICES, SelectChoice("archived", "Archived")]
    # Links to archived company strategies cannot be kept (the service refuses them).
    dropped = [link for link in obj.links if link.company_strategy_id not in live_ids]
    if form.is_submitted():  # every error at once: see forms.submit_all

        def update(data: ServiceStrategyPatch) -> ServiceStrategy:
            cascade.update_service_strategy(current_user, obj, data)
            strategy_admin.sync_archived(current_user, obj)
            return obj

        data, rows = _submitted(form)
        if submit_rows(form, ServiceStrategyPatch, update, data, rows) is not None:
            flash(f"Service strategy “{obj.title}” saved.", "success")
            return redirect(url_for("strategy.service_view", id=obj.id))
    return _form_page(form, company, strategy=obj, dropped=dropped, entries=history.history(obj))


# Worst first: what a reader of the strategy acts on.
_ORDER = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


def _objective_ids(service: ServiceStrategy, as_of) -> list[int]:
    """The ids of the service strategy's live objectives, worst first then oldest first.

    Read from the cascade's kept figures while the strategy is live (no query, no row);
    an archived strategy's objectives are not in them, and come in the order they were made.
    """
    if service.archived_at is None:
        figures = metrics.overview(as_of)
        ids = [oid for oid, sid in figures.objective_service.items() if sid == service.id]
        return sorted(ids, key=lambda oid: (_ORDER[figures.rollups[oid].status], oid))
    return list(
        db.session.scalars(
            sa.select(Objective.id)
            .where(Objective.service_strategy_id == service.id, Objective.archived_at.is_(None))
            .order_by(Objective.id)
        )
    )


@bp.route(f"/service/<{ID}:id>")
def service_view(id: int):
    """A service strategy: statement, period, fit with each company strategy, objectives."""
    obj = _service(id)
    as_of = as_of_date()
    page = paginate_list(_objective_ids(obj, as_of), OBJECTIVES_SHOWN, page_number())
    loaded = {
        o.id: o
        for o in db.session.scalars(sa.select(Objective).where(Objective.id.in_(page.items)))
    }
    objectives = [loaded[i] for i in page.items]
    links = sorted(  # live company strategies in their order, then archived ones
        obj.links,
        key=lambda link: (
            link.company_strategy.is_archived,
            link.company_strategy.position,
            link.company_strategy_id,
        ),
    )
    live_ids = {link.company_strategy_id for link in links if not link.company_strategy.is_archived}
    return render_template(
        "strategy/service_view.html",
        strategy=obj,
        links=links,
        flags=strategy_admin.link_flags(obj.links, live_ids),
        objectives=objectives,
        page=page,
        rollups=metrics.objective_rollups(objectives, as_of),
        entries=history.history(obj),
    )


def service_addresses(obj: ServiceStrategy) -> archiving.Addresses:
    """The service strategy's page, its archive and restore actions (the shared mechanism)."""
    return archiving.Addresses(
        view=url_for("strategy.service_view", id=obj.id),
        archive=url_for("strategy.service_archive", id=obj.id),
        restore=url_for("strategy.service_restore", id=obj.id),
        after_archive=url_for("strategy.cascade"),
    )


@bp.route(f"/service/<{ID}:id>/archive", methods=["GET", "POST"])
def service_archive(id: int):
    """Archive a service strategy after a confirmation (it and what hangs from it leave the
    cascade); "Undo" right after."""
    require()
    obj = db.get_or_404(ServiceStrategy, id)
    return archiving.confirm_or_archive(
        obj,
        service_addresses(obj),
        lambda: cascade.archive(current_user, obj, policy.STRATEGY),
        where="the cascade, the dashboard and every computation",
    )


@bp.route(f"/service/<{ID}:id>/restore", methods=["POST"])
def service_restore(id: int):
    """Bring an archived service strategy back (whoever may edit it: policy.RESTORE)."""
    obj = db.get_or_404(ServiceStrategy, id)
    return archiving.restore(obj, url_for("strategy.service_view", id=obj.id))
