"""The service-health pages: the latest assessment, the list, one assessment, a new one, and a
plan made from a weak element. Everyone signed in reads; executives and leads assess."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.charts import health as health_charts
from strategy_app.extensions import db
from strategy_app.forms import attach_errors
from strategy_app.health import bp
from strategy_app.health.forms import (
    AssessmentForm,
    ElementPlanForm,
    assessment_data,
    element_plan_data,
    put_errors,
    statement_fields,
)
from strategy_app.main.routes import as_of_date
from strategy_app.plans.common import department_choices, objective_choices, plannable_departments
from strategy_app.schemas.common import ID_URL, MAX_DATE, MIN_DATE, parse
from strategy_app.schemas.health import AssessmentIn, ElementPlanIn
from strategy_app.security import signed_in_only
from strategy_app.services.evaluation import checklist, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import NotFound, ValidationFailed
from strategy_app.services.reads import health as reads
from strategy_app.services.writes import assessments

ID = ID_URL
PER_PAGE = 25
MAX_PAGE = 1_000_000
ELEMENT = "string(maxlength=40)"

bp.before_request(signed_in_only)


@bp.app_template_global("health_element_title")
def health_element_title(key: str) -> str:
    """The title of a checklist element (a plan's page names the element it strengthens)."""
    element = checklist.element(key)
    return element.title if element is not None else key


def _as_of() -> date | None:
    """The ?as_of= date (400 when malformed or out of range), or None for now."""
    if not request.args.get("as_of"):
        return None
    as_of = as_of_date()
    if not MIN_DATE <= as_of <= MAX_DATE:
        abort(400, description="as_of must be a date between 1900 and 2200.")
    return as_of


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


def _render_assessment(view: reads.AssessmentView | None, as_of: date | None, latest: bool):
    trend = reads.trend(as_of) if latest else None
    return render_template(
        "health/assessment.html",
        view=view,
        latest=latest,
        as_of=as_of,
        radar=reads.radar_figure(view) if view is not None else None,
        trend=health_charts.overall_trend(trend) if trend else None,
        score_text=health_charts.score_text,
    )


@bp.route("")
def index():
    """The latest assessment: verdict, radar against the previous one, trend, each element."""
    as_of = _as_of()
    assessment = reads.latest(as_of)
    view = reads.view(assessment, as_of) if assessment is not None else None
    return _render_assessment(view, as_of, latest=True)


@bp.route("/assessments")
def assessment_list():
    """Every assessment, newest first, with its overall score and verdict."""
    as_of = _as_of()
    number = _page_number()
    items, total = reads.page(number, PER_PAGE, as_of)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "health/list.html",
        items=items,
        total=total,
        number=number,
        pages=pages,
        as_of=as_of,
        score_text=health_charts.score_text,
    )


def _load(assessment_id: int, as_of: date | None = None):
    assessment = reads.get(assessment_id, as_of)
    if assessment is None:
        abort(404, description="There is no such assessment.")
    return assessment


@bp.route(f"/assessments/<{ID}:id>")
def assessment_view(id: int):
    """One assessment: verdict, radar against the one before it, each element's answers."""
    as_of = _as_of()
    return _render_assessment(reads.view(_load(id, as_of), as_of), as_of, latest=False)


def _render_form(form: AssessmentForm, status: int = 200):
    return render_template(
        "health/form.html",
        form=form,
        groups=[(g, checklist.elements_in(g)) for g in checklist.GROUPS],
        fields=lambda statement: statement_fields(form, statement),
    ), status


@bp.route("/new", methods=["GET", "POST"])
def assessment_new():
    """Score each statement 0–4 with an optional comment (executives and leads)."""
    policy.require(current_user, policy.HEALTH)
    form = AssessmentForm() if request.method == "POST" else AssessmentForm(date=today())
    if request.method != "POST":
        return _render_form(form)
    # (CSRF is checked for every form by the app's CSRFProtect; the field rules are the schema's.)
    data, keys = assessment_data(form)
    try:
        assessment = assessments.record_assessment(current_user, parse(AssessmentIn, data))
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        put_errors(form, exc.fields, keys)
        return _render_form(form, 422)
    flash(f"Assessment of {assessment.date.isoformat()} saved.", "success")
    return redirect(url_for("health.assessment_view", id=assessment.id))


def _element(key: str) -> checklist.Element:
    try:
        return assessments.element_or_404(key)
    except NotFound:
        abort(404, description="The checklist has no such element.")


def _plan_form(element: checklist.Element) -> ElementPlanForm:
    departments = plannable_departments()
    if not departments:
        policy.require(current_user, policy.PLAN)  # a 403 page, recorded: nothing to plan for
    if request.method == "POST":
        form = ElementPlanForm()
    else:
        own = (
            current_user.department_id
            if current_user.department_id in {d.id for d in departments}
            else None
        )
        earlier = reads.earlier_plan_objective(element.key)
        form = ElementPlanForm(
            data={
                "title": f"Strengthen {element.title.lower()}",
                "department_id": str(own or ""),
                "objective_id": str(earlier or ""),
            }
        )
    choose = SelectChoice("", "— choose —")
    form.department_id.choices = [choose, *department_choices(departments)]
    form.objective_id.choices = [choose, *objective_choices()]
    return form


@bp.route(f"/assessments/<{ID}:id>/elements/<{ELEMENT}:key>/plan", methods=["GET", "POST"])
def element_plan(id: int, key: str):
    """Turn a weak element (below 50) into an action plan, in one form."""
    assessment = _load(id)
    element = _element(key)
    score = assessments.element_score(assessment, element)
    form = _plan_form(element)
    status = 200
    if request.method == "POST":
        try:
            data = parse(ElementPlanIn, element_plan_data(form))
            plan = assessments.plan_for_element(current_user, assessment, element, data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            form.form_errors.extend(exc.fields.pop("element", []))
            attach_errors(form, exc.fields)
            status = 422
        else:
            flash(f"Plan “{plan.title}” made to strengthen {element.title}.", "success")
            return redirect(url_for("plans.view", id=plan.id))
    return render_template(
        "health/plan_form.html",
        form=form,
        assessment=assessment,
        element=element,
        score=score,
        weak=rules.is_weak(score),
        score_text=health_charts.score_text,
    ), status
