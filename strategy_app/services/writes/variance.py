"""Variance explained (DESIGN §7): an actual that leaves its indicator off track must say why.

Whether it does is decided by services.rules (through services.metrics for the actuals already
stored); the explanation is kept as the actual's own note, the corrective action becomes a
check-in on the indicator's plan (linked to the actual), a new action plan, or (on an
objective's indicator) a line of that note; all of it is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import Field

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Indicator, Measurement, User
from strategy_app.schemas import inputs
from strategy_app.schemas.common import Id, Input, Text, Title, parse
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import audit
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import cascade, measurements

CHECK_IN, RECORD, NEW_PLAN = "check_in", "record", "new_plan"
# The check-in's text holds both; together they stay within one Text field.
MAX_PART = 4_000


class Corrective(Input):
    """What follows an off-track actual: a check-in, a recorded note, or a new plan."""

    kind: Literal["check_in", "record", "new_plan"] | None = None
    action: Text = ""
    department_id: Id | None = None
    title: Title | None = None
    confidence: int = Field(default=3, ge=1, le=5)


class VarianceIn(Corrective):
    """The explanation a form sends along with an off-track actual."""

    explanation: Text = ""

    def corrective(self) -> Corrective:
        """The corrective action alone."""
        return Corrective(**self.model_dump(exclude={"explanation"}))


def kinds_for(indicator: Indicator) -> tuple[str, ...]:
    """The corrective actions that fit an indicator (a check-in needs a plan)."""
    return (CHECK_IN, NEW_PLAN) if indicator.action_plan_id is not None else (RECORD, NEW_PLAN)


def evaluate_with(
    indicator: Indicator, entries: Iterable[tuple[date, float]], as_of: date
) -> rules.IndicatorResult | None:
    """The indicator as it would stand with these actuals added, or None if they change nothing.

    Evaluated at as_of, or at the newest entry's date when that is later (a future-dated
    actual cannot dodge the question). Entries older than the latest stored actual decide
    nothing and give None.
    """
    items = list(entries)
    if not items:
        return None
    newest = max(items, key=lambda e: e[0])
    when = max(as_of, newest[0])
    stored = metrics.latest_actuals([indicator.id], when).get(indicator.id)
    if stored is not None and stored[0] > newest[0]:
        return None
    metrics.load_milestones([indicator] if "milestones" in sa.inspect(indicator).unloaded else [])
    return rules.evaluate(rules.IndicatorSpec.of(indicator), newest, when)


def would_be_off_track(indicator: Indicator, day: date, value: float, as_of: date) -> bool:
    """Whether entering value on day leaves the indicator off track (evaluated at as_of)."""
    result = evaluate_with(indicator, [(day, value)], as_of)
    return result is not None and result.status == rules.OFF_TRACK


def check_explanation(indicator: Indicator, explanation: str, corrective: Corrective) -> None:
    """Refuse (ValidationFailed) a blank explanation or a corrective action that does not fit."""
    errors: dict[str, list[str]] = {}
    if not explanation.strip():
        errors["explanation"] = ["Say why the indicator is off track."]
    elif len(explanation) > MAX_PART:
        errors["explanation"] = [f"Keep it under {MAX_PART:,} characters."]
    if corrective.kind is None:
        errors["kind"] = ["Choose a corrective action."]
    elif corrective.kind not in kinds_for(indicator):
        errors["kind"] = ["Choose one of the corrective actions offered."]
    elif corrective.kind == NEW_PLAN:
        if not corrective.title:
            errors["title"] = ["Give the new plan a title."]
        if corrective.department_id is None:
            errors["department_id"] = ["Choose the department that runs the new plan."]
    elif not corrective.action.strip():
        errors["action"] = ["Say what will be done about it."]
    if len(corrective.action) > MAX_PART:
        errors["action"] = [f"Keep it under {MAX_PART:,} characters."]
    if errors:
        raise ValidationFailed(errors)


def _summary(indicator: Indicator, row: Measurement) -> str:
    unit = f" {indicator.unit}" if indicator.unit else ""
    return f"{indicator.name}: {row.value:.10g}{unit} on {row.date.isoformat()} is off track."


def _new_plan(actor: User, indicator: Indicator, explanation: str, c: Corrective) -> ActionPlan:
    objective_id = indicator.objective_id or indicator.action_plan.objective_id
    department = db.session.get(Department, c.department_id)
    mine = department is not None and (
        actor.role == "executive" or actor.department_id == department.id
    )
    description = f"Why: {explanation}" + (f"\n\n{c.action}" if c.action else "")
    data = inputs.PlanIn(
        objective_id=objective_id,
        department_id=c.department_id,
        title=c.title,
        description=description,
        owner_id=actor.id if mine else None,
    )
    return cascade.create_plan(actor, data)


def noted(data: inputs.MeasurementIn, explanation: str, corrective: Corrective):
    """The actual with the explanation added to its note, whatever the corrective action.

    The explanation belongs to the actual: its page, the API and the exports show it as the
    actual's note (a check-in made for it links to the actual, see explain). Raises
    ValidationFailed ("note") when the note grows too long.
    """
    added = f"Why off track: {explanation}"
    if corrective.action:
        added += f"\nCorrective action: {corrective.action}"
    elif corrective.kind == NEW_PLAN and corrective.title:
        added += f"\nCorrective action: a new plan, “{corrective.title}”"
    note = f"{data.note}\n\n{added}" if data.note else added
    return parse(inputs.MeasurementIn, {"date": data.date, "value": data.value, "note": note})


def explain(
    actor: User,
    indicator: Indicator,
    row: Measurement,
    explanation: str,
    corrective: Corrective,
    result: rules.IndicatorResult | None = None,
) -> ActionPlan | None:
    """Carry out the corrective action for an off-track actual already staged (row), and
    record the explanation in the audit log (the row's note holds it too, see noted; a
    check-in made for it links to the row).

    Returns the plan the check-in went to or the plan created (None for a recorded note).
    """
    check_explanation(indicator, explanation, corrective)
    plan: ActionPlan | None = None
    changes: dict[str, list] = {
        "date": [None, row.date.isoformat()],
        "value": [None, row.value],
        "explanation": [None, explanation],
        "corrective_action": [None, corrective.kind],
    }
    if result is not None:
        changes["expected"] = [None, round(result.expected, 6)]
    if corrective.action:
        changes["action"] = [None, corrective.action]
    if corrective.kind == CHECK_IN:
        plan = indicator.action_plan
        text = f"{_summary(indicator, row)}\nWhy: {explanation}\nCorrective action: "
        entry = cascade.add_check_in(
            actor,
            plan,
            inputs.CheckInIn(
                state=plan.state,
                progress_pct=plan.progress_pct,
                confidence=corrective.confidence,
                text=text + corrective.action,
            ),
        )
        entry.measurement_id = row.id
        changes["check_in_id"] = [None, entry.id]
    elif corrective.kind == NEW_PLAN:
        plan = _new_plan(actor, indicator, explanation, corrective)
        changes["action_plan_id"] = [None, plan.id]
    audit.record(db.session, "variance_explained", "Indicator", indicator.id, changes)
    db.session.flush()
    return plan


def record_with_explanation(
    actor: User,
    indicator: Indicator,
    data: inputs.MeasurementIn,
    explanation: str,
    corrective: Corrective,
    as_of: date | None = None,
) -> tuple[Measurement, ActionPlan | None]:
    """Write an off-track actual together with its explanation and corrective action.

    Nothing is staged when the explanation or the corrective action is not valid; the caller
    commits (or rolls back) the measurement, the check-in or plan, and the audit record.
    """
    check_explanation(indicator, explanation, corrective)
    result = evaluate_with(indicator, [(data.date, data.value)], as_of or today())
    row = measurements.record(actor, indicator, noted(data, explanation, corrective))
    plan = explain(actor, indicator, row, explanation, corrective, result)
    return row, plan
