"""What NPS feeds: an indicator whose actuals are the monthly NPS, and the customer evidence
(an NPS segment, a service-health element) an objective shows beside its indicators.

The indicator and objective pages include templates/nps/_indicator_source.html and
_objective_evidence.html, which read what they need through the template globals here.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.charts import nps as nps_charts
from strategy_app.errors import get_or_404
from strategy_app.extensions import db
from strategy_app.models import Indicator, Objective
from strategy_app.nps import bp
from strategy_app.nps.forms import EvidenceForm, FeedForm
from strategy_app.schemas.common import ID_URL
from strategy_app.services.evaluation import checklist
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import nps as nps_writes

ALL_SEGMENTS = "All segments"


def _segment_choices(current: str | None, blank: str) -> list[SelectChoice]:
    names = nps_reads.segments()
    if current and current not in names:
        names.append(current)
    return [SelectChoice("", blank)] + [SelectChoice(s, s) for s in names]


def _element_choices() -> list[SelectChoice]:
    return [SelectChoice("", "None")] + [
        SelectChoice(e.key, f"{e.title} ({e.group})") for e in checklist.ELEMENTS
    ]


def element_title(key: str | None) -> str:
    """The element's title, or the key itself if the checklist no longer has it."""
    for element in checklist.ELEMENTS:
        if element.key == key:
            return element.title
    return key or ""


def _parent_action(indicator: Indicator) -> tuple[str, object]:
    if indicator.objective is not None:
        return policy.STRATEGY, indicator.objective
    return policy.PLAN, indicator.action_plan


@bp.app_template_global("nps_feed")
def nps_feed(indicator: Indicator) -> dict:
    """What the indicator page shows about NPS: the source line and, for editors, the form."""
    form = None
    if policy.can(current_user, *_parent_action(indicator)) and indicator.archived_at is None:
        form = FeedForm(formdata=None)
        form.segment.choices = _segment_choices(indicator.nps_segment, ALL_SEGMENTS)
        form.source.data = indicator.actuals_source
        form.segment.data = indicator.nps_segment or ""
    return {"fed": indicator.actuals_source == "nps", "form": form}


@bp.app_template_global("nps_evidence")
def nps_evidence(objective: Objective, as_of: date) -> dict:
    """The objective's customer evidence (with the segment's trend figure) and, for
    executives, the form that links it."""
    evidence = nps_reads.objective_evidence(objective, as_of)
    figure = None
    if evidence is not None and evidence.segment:
        figure = nps_charts.trend(evidence.months, f"NPS by month · {evidence.segment}", height=320)
    form = None
    if policy.can(current_user, policy.STRATEGY, objective) and objective.archived_at is None:
        form = EvidenceForm(formdata=None)
        form.nps_segment.choices = _segment_choices(objective.nps_segment, "None")
        form.health_element.choices = _element_choices()
        form.nps_segment.data = objective.nps_segment or ""
        form.health_element.data = objective.health_element or ""
    element = element_title(objective.health_element) if objective.health_element else None
    return {"evidence": evidence, "figure": figure, "form": form, "element_title": element}


def _chosen_segment(field) -> str | None:
    """The segment a select sent (None: all or none); anything the list does not offer puts
    an error beside the field and answers "" (which names nothing)."""
    value = (field.data or "").strip()
    if not value:
        return None
    if value not in {c.value for c in field.choices}:
        field.errors = [*field.errors, "Choose one from the list."]
        return ""
    return value


def _refused(form, heading: str, what: str, action: str, back: str):
    """The form again with each error beside its field (400: nothing was written)."""
    return render_template(
        "nps/refused.html", form=form, heading=heading, what=what, action=action, back=back
    ), 400


@bp.post(f"/indicators/<{ID_URL}:id>/source")
def indicator_source(id: int):
    """Feed the indicator from the monthly NPS (of a segment), or back to entered actuals."""
    indicator = get_or_404(Indicator, id, "indicator")
    policy.require(current_user, *_parent_action(indicator))
    form = FeedForm()
    form.segment.choices = _segment_choices(indicator.nps_segment, ALL_SEGMENTS)
    valid = form.validate()
    segment = _chosen_segment(form.segment)
    if not valid or segment == "":
        return _refused(
            form,
            f"Where the actuals of {indicator.name} come from",
            "Nothing was changed: correct the values below.",
            url_for("nps.indicator_source", id=indicator.id),
            url_for("objectives.indicator_view", indicator_id=indicator.id),
        )
    if form.source.data == "nps":
        nps_writes.feed_indicator(current_user, indicator, segment, today())
        what = f"the monthly NPS of {segment}" if segment else "the monthly NPS"
        flash(f"Actuals now come from {what}, recomputed whenever responses change.", "success")
    else:
        nps_writes.unfeed_indicator(current_user, indicator)
        flash("Actuals are entered by people or systems again.", "success")
    db.session.commit()
    return redirect(url_for("objectives.indicator_view", indicator_id=indicator.id))


@bp.post(f"/objectives/<{ID_URL}:id>/evidence")
def objective_evidence(id: int):
    """Link the objective to an NPS segment and/or a service-health element (or unlink)."""
    objective = get_or_404(Objective, id, "objective")
    policy.require(current_user, policy.STRATEGY, objective)
    form = EvidenceForm()
    form.nps_segment.choices = _segment_choices(objective.nps_segment, "None")
    form.health_element.choices = _element_choices()
    valid = form.validate()
    segment = _chosen_segment(form.nps_segment)
    element = form.health_element.data or None
    if element is not None and element not in {e.key for e in checklist.ELEMENTS}:
        form.health_element.errors = [*form.health_element.errors, "Choose one from the list."]
    if not valid or segment == "" or form.health_element.errors:
        return _refused(
            form,
            f"Customer evidence of {objective.title}",
            "Nothing was changed: correct the values below.",
            url_for("nps.objective_evidence", id=objective.id),
            url_for("objectives.view", id=objective.id) + "#customer-evidence",
        )
    nps_writes.link_objective(current_user, objective, segment, element)
    db.session.commit()
    flash("Customer evidence updated.", "success")
    return redirect(url_for("objectives.view", id=objective.id) + "#customer-evidence")
