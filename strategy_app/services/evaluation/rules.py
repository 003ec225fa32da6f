"""The computation rules of DESIGN §3, evaluated at any date; the one home of every rule.

Everything here is pure: plain values in, plain values out. Pages, charts, the API and the
exports call these functions (through services.metrics for database-backed evaluation).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import NamedTuple

from strategy_app.models.plan import PLAN_STATES

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
# Worst first: the roll-up of an objective takes the first of these that occurs.
_SEVERITY = {OFF_TRACK: 3, AT_RISK: 2, ON_TRACK: 1}

CLOSED_STATES = ("done", "cancelled")

# Binary floating point holds few decimals exactly (0.77 − 0.7 > 0.1 × 0.7), so a value that
# lies exactly on a boundary of §3 can compute a hair beyond it. The boundary comparisons
# forgive an error this small relative to the numbers involved; real data never differs by
# so little.
_REL_EPS = 1e-12


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator expects: direction, baseline, target, tolerance and milestones."""

    direction: str
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    tolerance: float = 0.10
    milestones: tuple[tuple[date, float], ...] = field(default=())

    @classmethod
    def of(cls, indicator) -> IndicatorSpec:
        """Build the spec of an Indicator model (its milestones must be loaded)."""
        return cls(
            direction=indicator.direction,
            baseline_value=indicator.baseline_value,
            baseline_date=indicator.baseline_date,
            target_value=indicator.target_value,
            target_date=indicator.target_date,
            tolerance=indicator.tolerance,
            milestones=tuple(sorted((m.date, m.expected_value) for m in indicator.milestones)),
        )


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator evaluated at a date."""

    expected: float
    actual: float | None
    actual_date: date | None
    progress: float
    status: str


def span(spec: IndicatorSpec) -> float:
    """|t − b|; for `maintain` or when t = b: |t|, or 1 when t = 0."""
    b, t = spec.baseline_value, spec.target_value
    if spec.direction == "maintain" or t == b:
        return abs(t) or 1.0
    return abs(t - b)


def validate_spec(spec: IndicatorSpec) -> dict[str, list[str]]:
    """Errors per field for an indicator's values, dates, tolerance and milestones ({} if valid)."""
    errors: dict[str, list[str]] = {}
    for name, value in (
        ("baseline_value", spec.baseline_value),
        ("target_value", spec.target_value),
    ):
        if not math.isfinite(value):
            errors.setdefault(name, []).append("Must be a finite number.")
    if not all(math.isfinite(v) for _, v in spec.milestones):
        errors.setdefault("milestones", []).append("Milestone values must be finite numbers.")
    if spec.baseline_date >= spec.target_date:
        errors.setdefault("target_date", []).append(
            "The target date must be after the baseline date."
        )
    if not 0 <= spec.tolerance <= 1:
        errors.setdefault("tolerance", []).append("Tolerance must be between 0 and 1.")
    seen: set[date] = set()
    for d, _ in spec.milestones:
        if not spec.baseline_date < d < spec.target_date:
            errors.setdefault("milestones", []).append(
                f"Milestone {d.isoformat()} must fall strictly between the baseline"
                " and target dates."
            )
        if d in seen:
            errors.setdefault("milestones", []).append(f"Two milestones on {d.isoformat()}.")
        seen.add(d)
    return errors


def expected(spec: IndicatorSpec, d: date) -> float:
    """The expected value on d: linear through baseline, milestones (by date) and target."""
    if d < spec.baseline_date:
        return spec.baseline_value
    if d >= spec.target_date:
        return spec.target_value
    # validate_spec refuses milestones outside the period or sharing a date; should one slip
    # through anyway, it is ignored (outside) or its zero-length segment skipped (shared).
    inside = [m for m in sorted(spec.milestones) if spec.baseline_date < m[0] < spec.target_date]
    points = [
        (spec.baseline_date, spec.baseline_value),
        *inside,
        (spec.target_date, spec.target_value),
    ]
    for (d0, v0), (d1, v1) in pairwise(points):
        if d0 <= d <= d1 and d0 < d1:
            return v0 + (v1 - v0) * (d - d0).days / (d1 - d0).days
    raise AssertionError("unreachable: d lies between the baseline and target dates")


def actual(measurements: Sequence[tuple[date, float]], d: date) -> tuple[date, float] | None:
    """The latest measurement dated on or before d (measurements sorted by date), or None."""
    i = bisect.bisect_right(measurements, d, key=lambda m: m[0])
    return measurements[i - 1] if i else None


def _scale(spec: IndicatorSpec, value: float) -> float:
    """The largest magnitude a rule computes with: what rounding errors are relative to."""
    return max(
        abs(value),
        abs(spec.baseline_value),
        abs(spec.target_value),
        *(abs(v) for _, v in spec.milestones),
    )


def _at_most(x: float, limit: float, scale: float) -> bool:
    """x ≤ limit, forgiving binary floating point's rounding error (see _REL_EPS)."""
    return x <= limit + _REL_EPS * scale


def progress(spec: IndicatorSpec, value: float | None) -> float:
    """How far the actual value has come from baseline to target, 0–1 (no data: 0)."""
    if value is None:
        return 0.0
    b, t = spec.baseline_value, spec.target_value
    if spec.direction == "maintain":
        within = _at_most(abs(value - t), spec.tolerance * span(spec), _scale(spec, value))
        return 1.0 if within else 0.0
    if t == b:
        reached = value >= t if spec.direction == "increase" else value <= t
        return 1.0 if reached else 0.0
    return min(max((value - b) / (t - b), 0.0), 1.0)


def shortfall(spec: IndicatorSpec, value: float, d: date) -> float:
    """How far the actual falls short of what was expected on d (≤ 0: on track)."""
    if spec.direction == "maintain":
        return shortfall_from(spec, 0.0, value)
    return shortfall_from(spec, expected(spec, d), value)


def shortfall_from(spec: IndicatorSpec, expected_value: float, value: float) -> float:
    """shortfall, given the expected value already worked out (`maintain` ignores it, and
    no other rule here reads the spec's milestones)."""
    if spec.direction == "maintain":
        return abs(value - spec.target_value) - spec.tolerance * span(spec)
    gap = expected_value - value
    return gap if spec.direction == "increase" else -gap


def status(spec: IndicatorSpec, value: float | None, d: date) -> str:
    """on_track, at_risk, off_track, or no_data, at date d."""
    if value is None:
        return NO_DATA
    short, scale = shortfall(spec, value, d), _scale(spec, value)
    if _at_most(short, 0.0, scale):
        return ON_TRACK
    if _at_most(short, spec.tolerance * span(spec), scale):
        return AT_RISK
    return OFF_TRACK


def evaluate(spec: IndicatorSpec, latest: tuple[date, float] | None, d: date) -> IndicatorResult:
    """Every computed field of an indicator at d, from its latest measurement on or before d."""
    value = latest[1] if latest else None
    return IndicatorResult(
        expected=expected(spec, d),
        actual=value,
        actual_date=latest[0] if latest else None,
        progress=progress(spec, value),
        status=status(spec, value, d),
    )


def worst_status(statuses: Iterable[str]) -> str:
    """The worst status among those with data; no_data when none has data."""
    worst = max((s for s in statuses if s in _SEVERITY), key=_SEVERITY.__getitem__, default=None)
    return worst or NO_DATA


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    items = list(values)
    return sum(items) / len(items) if items else None


# --- action plans -------------------------------------------------------------------------


class PlanFacts(NamedTuple):
    """What the roll-ups need to know of an action plan (a named tuple: the whole cascade's
    5,000 are built in a millisecond, where frozen dataclasses took fifteen)."""

    id: int
    state: str
    progress_pct: int
    due_date: date | None
    archived: bool = False
    department_id: int | None = None


def plan_overdue(due_date: date | None, state: str, d: date) -> bool:
    """Past its due date and neither done nor cancelled."""
    return due_date is not None and due_date < d and state not in CLOSED_STATES


def plan_execution(state: str, progress_pct: int) -> float | None:
    """progress_pct / 100; done counts as 1; cancelled plans have none (left out of means)."""
    if state == "cancelled":
        return None
    if state == "done":
        return 1.0
    return progress_pct / 100


def plan_counts(plan: PlanFacts) -> bool:
    """Whether a plan and its indicators take part in computations (not archived/cancelled)."""
    return not plan.archived and plan.state != "cancelled"


# --- when a plan or an indicator waits on someone (DESIGN §7: my updates, alignment) ------

CHECK_IN_DAYS = 14  # a plan with no check-in for this many days is quiet


def plan_quiet(start_date: date | None, since: date, d: date) -> bool:
    """Started (or with no start date) and no check-in for CHECK_IN_DAYS days on d; `since`
    is the last check-in's date, or the plan's start (or creation) date when it has none."""
    return (start_date is None or start_date <= d) and (d - since).days >= CHECK_IN_DAYS


# Periods of an indicator: its checkpoints are the baseline date, its milestone dates and its
# target date; a period runs from one checkpoint to the next, and has ended on d when its end
# date is on or before d. An actual counts for a stretch when it is dated from its start to d.


def checkpoints(baseline: date, target: date, milestones: Iterable[date] = ()) -> list[date]:
    """Baseline date, milestone dates strictly between (in order), target date."""
    return [baseline, *sorted({m for m in milestones if baseline < m < target}), target]


def ended_periods(points: list[date], d: date) -> list[tuple[date, date]]:
    """The periods (start, end) that ended on or before d, oldest first."""
    return [(s, e) for s, e in pairwise(points) if e <= d]


def current_period_start(points: list[date], d: date) -> date | None:
    """Start of the period d falls in (the last one once past the target); None before."""
    starts = [s for s in points[:-1] if s <= d]
    return starts[-1] if starts else None


def no_recent_actual(points: list[date], last_actual: date | None, d: date) -> bool:
    """No actual in the last two ended periods (or in the only one ended): the alignment
    report's stale indicator."""
    ended = ended_periods(points, d)
    if not ended:
        return False
    since = ended[-2][0] if len(ended) >= 2 else ended[-1][0]
    return last_actual is None or last_actual < since


def due_an_actual(points: list[date], last_actual: date | None, d: date) -> bool:
    """A period has ended and no actual is dated since the current period started."""
    start = current_period_start(points, d)
    if start is None or not ended_periods(points, d):
        return False
    return last_actual is None or last_actual < start


@dataclass(frozen=True)
class Rollup:
    """An objective's results, execution and status."""

    results: float | None
    execution: float | None
    status: str


def objective_rollup(
    own_indicators: Iterable[IndicatorResult],
    plans: Iterable[tuple[PlanFacts, Iterable[IndicatorResult]]],
) -> Rollup:
    """Roll an objective up from its own indicators and its plans (with their indicators).

    Callers pass only non-archived indicators; archived and cancelled plans (and their
    indicators) are left out here.
    """
    results = list(own_indicators)
    executions: list[float] = []
    for plan, indicators in plans:
        if not plan_counts(plan):
            continue
        executions.append(plan_execution(plan.state, plan.progress_pct))
        results.extend(indicators)
    return Rollup(
        results=mean(r.progress for r in results),
        execution=mean(executions),
        status=worst_status(r.status for r in results),
    )


@dataclass(frozen=True)
class Scorecard:
    """A department's plans by state, overdue count, mean execution and indicator statuses."""

    plans: dict[str, int]
    overdue: int
    execution: float | None
    indicators: dict[str, int]


def department_scorecard(
    plans: Iterable[tuple[PlanFacts, Iterable[IndicatorResult]]], d: date
) -> Scorecard:
    """The scorecard of one department's (non-archived) plans at date d (the mean execution
    adds them up in the order given)."""
    sums = ScorecardSums()
    for place, (plan, indicators) in enumerate(plans):
        sums.add(place, plan_mark(plan, indicators, d))
    return sums.scorecard()


class PlanMark(NamedTuple):
    """What one plan adds to its department's scorecard at a date (None: nothing, archived)."""

    state: str
    overdue: bool
    execution: float | None  # None: cancelled (left out of the mean and of the statuses)
    statuses: tuple[str, ...]  # its indicators' statuses


def plan_mark(plan: PlanFacts, indicators: Iterable[IndicatorResult], d: date) -> PlanMark | None:
    """The mark plan leaves on its department's scorecard at date d."""
    if plan.archived:
        return None
    if plan.state == "cancelled":
        return PlanMark(plan.state, plan_overdue(plan.due_date, plan.state, d), None, ())
    return PlanMark(
        plan.state,
        plan_overdue(plan.due_date, plan.state, d),
        plan_execution(plan.state, plan.progress_pct),
        tuple(r.status for r in indicators),
    )


@dataclass
class ScorecardSums:
    """A department's scorecard as sums that plans are added to and taken from: whole counts,
    and each plan's execution by plan id, added up in plan order for the mean. So a change
    to a few plans moves the scorecard without reading the department's other plans, and
    the result is the one a fresh count gives, to the last digit."""

    plans: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLAN_STATES, 0))
    overdue: int = 0
    indicators: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    executions: dict[int, float] = field(default_factory=dict)

    def copy(self) -> ScorecardSums:
        return ScorecardSums(
            dict(self.plans), self.overdue, dict(self.indicators), dict(self.executions)
        )

    def add(self, plan_id: int, mark: PlanMark | None, sign: int = 1) -> None:
        """Count a plan's mark in (sign 1) or out (sign -1)."""
        if mark is None:
            return
        self.plans[mark.state] += sign
        self.overdue += sign * mark.overdue
        for status in mark.statuses:
            self.indicators[status] += sign
        if mark.execution is not None:
            if sign > 0:
                self.executions[plan_id] = mark.execution
            else:
                self.executions.pop(plan_id, None)

    def scorecard(self) -> Scorecard:
        executions = self.executions
        return Scorecard(
            plans=dict(self.plans),
            overdue=self.overdue,
            execution=mean(executions[k] for k in sorted(executions)),
            indicators=dict(self.indicators),
        )


# --- customer measures --------------------------------------------------------------------


PROMOTER_MIN, DETRACTOR_MAX = 9, 6  # promoters score 9–10, detractors 0–6, passives 7–8


def nps_category(score: int) -> str:
    """The category of a score: promoter (9–10), passive (7–8) or detractor (0–6)."""
    if score >= PROMOTER_MIN:
        return "promoter"
    return "detractor" if score <= DETRACTOR_MAX else "passive"


def is_detractor(score: int) -> bool:
    """A detractor (0–6): their response gets a follow-up."""
    return score <= DETRACTOR_MAX


def nps(scores: Iterable[int]) -> int | None:
    """Net Promoter Score: round(100 × (promoters − detractors) / responses); None if none."""
    return nps_counts(scores).nps


class NpsCounts(NamedTuple):
    """Responses, promoters, passives and detractors of a set of scores, and their NPS."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: int | None


def nps_counts(scores: Iterable[int]) -> NpsCounts:
    """Count promoters, passives and detractors; NPS as DESIGN §3 (None with no responses).

    round() is Python's (halves to even), the same everywhere the NPS is shown.
    """
    items = list(scores)
    promoters = sum(1 for s in items if s >= PROMOTER_MIN)
    detractors = sum(1 for s in items if s <= DETRACTOR_MAX)
    passives = len(items) - promoters - detractors
    value = round(100 * (promoters - detractors) / len(items)) if items else None
    return NpsCounts(len(items), promoters, passives, detractors, value)


def closed_loop_rate(resolved: int, follow_ups: int) -> float | None:
    """Share (0–1) of detractor follow-ups resolved; None when there are none."""
    return resolved / follow_ups if follow_ups else None


def median_days(days: Iterable[int]) -> float | None:
    """The median of a list of day counts (mean of the middle two); None when empty."""
    items = sorted(days)
    if not items:
        return None
    mid = len(items) // 2
    return float(items[mid]) if len(items) % 2 else (items[mid - 1] + items[mid]) / 2


def assessment_score(answers: Iterable[int]) -> float | None:
    """Mean answer (0–4) × 25, a 0–100 score; None when nothing was answered."""
    m = mean(answers)
    return None if m is None else m * 25


# An element scoring below this is weak: the page offers to turn it into an action plan.
WEAK_BELOW = 50.0
# A statement is "ticked" when it is largely (3) or fully (4) true of us...
TICKED_FROM = 3
# ... and the seed's reading guide: tick "the vast majority" of the statements (here four in
# five of the whole checklist, unanswered ones counting as not ticked) and you are on track.
VAST_MAJORITY = 0.8


@dataclass(frozen=True)
class AssessmentScores:
    """An assessment's element scores (0–100, None when unanswered) and overall score."""

    elements: dict[str, float | None]
    overall: float | None
    answered: int
    ticked: int
    statements: int

    @property
    def on_track(self) -> bool:
        """The reading guide: the vast majority of the checklist's statements are ticked."""
        return self.statements > 0 and self.ticked >= VAST_MAJORITY * self.statements

    def weak(self) -> list[str]:
        """The keys of the elements scoring below WEAK_BELOW, in checklist order."""
        return [key for key, score in self.elements.items() if is_weak(score)]


def is_weak(score: float | None) -> bool:
    """Whether an element score is weak (below 50); an unanswered element is not judged."""
    return score is not None and score < WEAK_BELOW


def assessment_scores(
    answers: Iterable[tuple[str, int]], elements: Mapping[str, Sequence[str]]
) -> AssessmentScores:
    """Score answers (statement key, 0–4) against a checklist {element key: statement keys}.

    Element score = mean of its answers × 25; overall = mean of all answers × 25 (so an
    element with more statements weighs more), both by assessment_score. Answers to keys the
    checklist does not hold are left out.
    """
    element_of = {s: e for e, keys in elements.items() for s in keys}
    by_element: dict[str, list[int]] = {e: [] for e in elements}
    for key, score in answers:
        if key in element_of:
            by_element[element_of[key]].append(score)
    every = [score for scores in by_element.values() for score in scores]
    return AssessmentScores(
        elements={e: assessment_score(scores) for e, scores in by_element.items()},
        overall=assessment_score(every),
        answered=len(every),
        ticked=sum(1 for score in every if score >= TICKED_FROM),
        statements=len(element_of),
    )


def forecast_date(measurements: Sequence[tuple[date, float]], spec: IndicatorSpec) -> date | None:
    """When the actuals' linear trend reaches the target, or None if it never does.

    Least squares over the measurements (any order). The date of the last measurement when
    that one has already reached the target; None with fewer than two dates, a flat trend, a
    trend heading away from the target, or a `maintain` indicator (it has nothing to reach).
    """
    if spec.direction == "maintain":
        return None
    points = sorted(measurements)
    if len(points) < 2:
        return None
    t = spec.target_value
    wanted_sign = 1 if spec.direction == "increase" else -1
    last_date, last_value = points[-1]
    if (last_value - t) * wanted_sign >= 0:
        return last_date
    x0 = points[0][0].toordinal()
    xs = [m[0].toordinal() - x0 for m in points]
    ys = [m[1] for m in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    if slope * wanted_sign <= 0:
        return None
    intercept = my - slope * mx
    # The first whole day on which the trend has reached the target (forgiving a rounding
    # error of a hair past a whole day); the last measurement has not, so after its date.
    try:
        day = max(math.ceil((t - intercept) / slope - 1e-9), xs[-1] + 1)
        return date.fromordinal(x0 + day)
    except (ValueError, OverflowError):
        return None
