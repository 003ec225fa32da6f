"""What meeting mode shows: its slides, from the dashboard's figures and reviews.changes_since.

Nothing here computes a rule of DESIGN §3: statuses, scorecards and roll-ups come from
services.metrics (through services.dashboard); overdue is rules.plan_overdue.

Every slide fits a 1920 × 1080 projector: a list longer than a slide holds runs over several
slides ("2 of 3"), each reachable with ← →. The deck is SECTIONS in order, each a function
of the Deck giving its slides; a slide is drawn by templates/meetings/slides/<kind>.html. To
add one (the customer's voice, say): write its template and a section function, and put the
function into SECTIONS (add_section does it, before the closing slide by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.charts import nps as nps_charts
from strategy_app.departments import indicators as charted
from strategy_app.departments.pages import load_users
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Objective, ServiceStrategy, User
from strategy_app.services.evaluation import rules
from strategy_app.services.reads import dashboard
from strategy_app.services.reads import health as health_reads
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import reviews

PLANS_PER_DEPARTMENT = 8  # plans listed on a department's slides (open ones first)
OVERDUE_LISTED = 20
# What one 1920 × 1080 slide holds
PLANS_FIRST = 3  # plans under a department's figures
ROWS_PER_SLIDE = 6  # rows of a table of plans or objectives
CHANGES_PER_SLIDE = 8  # items of a list of changes
PANELS_PER_SLIDE = 6  # expected-vs-actual plots (three columns, two rows)
CHARTED_PER_DEPARTMENT = 12  # the worst indicators of each department, two slides at most
OBJECTIVE_SLIDES = 8  # off-track objectives given a slide of their own, worst first


@dataclass(frozen=True)
class Slide:
    """One slide: its anchor and title (for the index and the counter), the template that
    draws it (templates/meetings/slides/<kind>.html) and what that template shows."""

    id: str
    title: str
    kind: str = ""
    data: Any = None
    part: tuple[int, int] | None = None  # (k, n): the k-th of the n slides of one long list
    attrs: dict[str, str] = field(default_factory=dict)  # data-* attributes of the slide

    @property
    def full_title(self) -> str:
        """The title with "(2 of 3)" when the slide is one of several."""
        return f"{self.title} ({self.part[0]} of {self.part[1]})" if self.part else self.title


def chunks(items: Sequence[Any], size: int, first: int | None = None) -> list[list[Any]]:
    """items cut into runs of `size` (the first run `first` long), at least one run."""
    items = list(items)
    head = first if first is not None else size
    runs = [items[:head]] + [items[k : k + size] for k in range(head, len(items), size)]
    return runs if items else [[]]


def parts(slide_id: str, title: str, kind: str, runs: list[Any], **attrs) -> list[Slide]:
    """One slide per run; the first keeps slide_id, the others slide_id-2, -3…"""
    n = len(runs)
    return [
        Slide(
            slide_id if k == 1 else f"{slide_id}-{k}",
            title,
            kind,
            run,
            (k, n) if n > 1 else None,
            dict(attrs) if k == 1 else {},
        )
        for k, run in enumerate(runs, start=1)
    ]


@dataclass
class DepartmentSlide:
    """One department: its scorecard, results and first plans (open ones, soonest due first)."""

    department: Department
    scorecard: rules.Scorecard
    results: float | None
    plans: list[Any]
    overdue: set[int]
    grids: list[dict[str, Any]] = field(default_factory=list)  # expected vs actual, per slide

    @property
    def plan_total(self) -> int:
        """Plans of the department (every state)."""
        return sum(self.scorecard.plans.values())


@dataclass
class Deck:
    """Every slide of meeting mode at a date."""

    as_of: date
    view: dashboard.Dashboard
    changes: reviews.Changes
    overdue: list[Any]
    departments: list[DepartmentSlide]
    objective_grids: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # The department leads, loaded once and kept while the deck renders (load_users).
    people: list[User] = field(default_factory=list, repr=False)

    @property
    def overdue_total(self) -> int:
        """Overdue plans of every live department (the scorecards' count)."""
        return sum(sc.overdue for _, sc in self.view.departments)

    @property
    def troubled(self) -> list[tuple[Objective, rules.Rollup]]:
        """The objectives off track or at risk (worst first; the dashboard's first ones)."""
        wanted = (rules.OFF_TRACK, rules.AT_RISK)
        return [(o, r) for o, r in self.view.attention if r.status in wanted]

    @property
    def troubled_total(self) -> int:
        """How many objectives are off track or at risk."""
        counts = self.view.status_counts
        return counts[rules.OFF_TRACK] + counts[rules.AT_RISK]

    @cached_property
    def figures(self) -> dict[str, dict[str, Any]]:
        """The deck's charts, by name."""
        rows = [
            charts.DepartmentRow(
                name=d.name,
                execution=sc.execution,
                results=self.view.department_results.get(d.id),
                plans=sc.plans,
                overdue=sc.overdue,
            )
            for d, sc in self.view.departments
        ]
        view = self.view
        by_service = [
            (s.title, view.counts_by_service.get(s.id, {})) for s in view.service_strategies
        ]
        return {
            "by_service": charts.objectives_by_service(by_service, surface=charts.MEETING),
            "departments": charts.department_comparison(rows, surface=charts.MEETING),
            "misses": charts.biggest_misses(view.misses, surface=charts.MEETING),
            "overdue": charts.overdue_by_department(rows, surface=charts.MEETING),
        }

    @property
    def off_track(self) -> list[tuple[Objective, rules.Rollup]]:
        """The off-track objectives that get a slide of their own, worst first."""
        return [(o, r) for o, r in self.troubled if r.status == rules.OFF_TRACK][:OBJECTIVE_SLIDES]

    @cached_property
    def slides(self) -> list[Slide]:
        """The slides in order: every section's."""
        return [slide for section in SECTIONS for slide in section(self)]


Section = Callable[[Deck], list[Slide]]


def overview(deck: Deck) -> list[Slide]:
    """Objectives by status, overdue plans, changes: the whole picture."""
    return [Slide("slide-overview", "Overview", "overview")]


def scorecards(deck: Deck) -> list[Slide]:
    """Each department's figures in a table, then the same compared in a chart."""
    slides = [Slide("slide-scorecards", "Department scorecards", "scorecards")]
    if deck.view.departments:
        slides.append(Slide("slide-departments-compared", "Departments compared", "compared"))
    return slides


def trouble(deck: Deck) -> list[Slide]:
    """The objectives off track or at risk, then the indicators furthest short of expected."""
    slides = parts(
        "slide-troubled", "Off track and at risk", "troubled", chunks(deck.troubled, ROWS_PER_SLIDE)
    )
    if deck.view.misses:
        slides.append(Slide("slide-misses", "Biggest misses", "misses"))
    return slides


def off_track_objectives(deck: Deck) -> list[Slide]:
    """A slide (or more) per off-track objective: its indicators' expected vs actual."""
    slides = []
    for objective, rollup in deck.off_track:
        grids = deck.objective_grids.get(objective.id) or [None]
        slides += parts(
            f"slide-objective-{objective.id}",
            objective.title,
            "objective",
            [(objective, rollup, grid) for grid in grids],
            **{"data-objective-slide": str(objective.id)},
        )
    return slides


def overdue(deck: Deck) -> list[Slide]:
    """The overdue plans, longest overdue first, then the count per department."""
    slides = parts(
        "slide-overdue", "Overdue plans", "overdue", chunks(deck.overdue, ROWS_PER_SLIDE)
    )
    if deck.view.departments:
        slides.append(Slide("slide-overdue-chart", "Overdue plans per department", "overdue_chart"))
    return slides


CHANGE_KINDS = (
    ("actuals", "New actuals"),
    ("state_changes", "Plan state changes"),
    ("new_plans", "New plans"),
    ("check_ins", "Check-ins"),
)


def changes(deck: Deck) -> list[Slide]:
    """What changed since the last review: the counts, then each kind's list."""
    slides = [Slide("slide-changes", "Changes since the last review", "changes")]
    for key, title in CHANGE_KINDS:
        listed = getattr(deck.changes, key)
        if listed.items:
            runs = [(key, run) for run in chunks(listed.items, CHANGES_PER_SLIDE)]
            slides += parts(f"slide-changes-{key.replace('_', '-')}", title, "change_list", runs)
    return slides


def departments(deck: Deck) -> list[Slide]:
    """Each department: its figures and plans, then its indicators' expected vs actual."""
    slides = []
    for s in deck.departments:
        d = s.department
        runs = [(s, run) for run in chunks(s.plans, ROWS_PER_SLIDE, first=PLANS_FIRST)]
        slides += parts(
            f"slide-department-{d.slug}",
            d.name,
            "department",
            runs,
            **{"data-department-slide": d.slug},
        )
        grids = s.grids or [None]
        slides += parts(
            f"slide-department-{d.slug}-results",
            f"{d.name}: expected vs actual",
            "department_results",
            [(s, grid) for grid in grids],
            **{"data-department-results": d.slug},
        )
    return slides


@dataclass(frozen=True)
class Voice:
    """The customer's voice at the deck's date: NPS trend and loop, open follow-ups, radar."""

    nps: Any  # services.reads.nps.CustomerVoice
    trend: dict[str, Any] | None
    radar: dict[str, Any] | None


def customer_voice(deck: Deck) -> list[Slide]:
    """The customer's voice: the NPS trend and closed loop, then what detractors still wait
    for beside the latest service-health radar (DESIGN §7; seeds 002 and 004)."""
    heard = nps_reads.customer_voice(deck.as_of, ROWS_PER_SLIDE)
    trend = (
        nps_charts.trend(heard.months, "NPS by month", surface="meeting") if heard.months else None
    )
    radar = health_reads.latest_radar(
        deck.as_of, title="Service health by element", height=700, surface=charts.MEETING
    )
    if trend is None and radar is None and not heard.open_follow_ups:
        return []
    voice = Voice(heard, trend, radar)
    return [
        Slide("slide-voice", "Customer's voice: NPS", "voice_nps", voice),
        Slide(
            "slide-voice-loop",
            "Customer's voice: follow-ups and service health",
            "voice_loop",
            voice,
        ),
    ]


def record(deck: Deck) -> list[Slide]:
    """The closing slide: record the review and its decisions."""
    return [Slide("slide-record", "Decisions and the record", "record")]


SECTIONS: list[Section] = [
    overview,
    scorecards,
    trouble,
    off_track_objectives,
    overdue,
    changes,
    departments,
    customer_voice,
    record,
]


def add_section(section: Section, before: Section | None = record) -> None:
    """Put a section of slides into the deck, before `before` (the closing slide) or last."""
    if section in SECTIONS:
        return
    SECTIONS.insert(SECTIONS.index(before) if before in SECTIONS else len(SECTIONS), section)


def _live_plans() -> sa.Select:
    """Plans not archived, under a live objective and service strategy, of a live department."""
    return (
        sa.select(
            ActionPlan.id,
            ActionPlan.title,
            ActionPlan.state,
            ActionPlan.progress_pct,
            ActionPlan.due_date,
            ActionPlan.department_id,
            Department.name.label("department"),
            Objective.title.label("objective"),
            User.name.label("owner"),
        )
        .join(Department, Department.id == ActionPlan.department_id)
        .join(Objective, Objective.id == ActionPlan.objective_id)
        .join(ServiceStrategy, ServiceStrategy.id == Objective.service_strategy_id)
        .outerjoin(User, User.id == ActionPlan.owner_id)
        .where(
            ActionPlan.archived_at.is_(None),
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
            Department.archived_at.is_(None),
        )
    )


def overdue_plans(as_of: date, limit: int = OVERDUE_LISTED) -> list[Any]:
    """The first overdue plans at as_of, longest overdue first (one query)."""
    rows = db.session.execute(
        _live_plans()
        # rules.plan_overdue as a condition on the rows; checked again below
        .where(ActionPlan.due_date < as_of, ActionPlan.state.not_in(rules.CLOSED_STATES))
        .order_by(ActionPlan.due_date, ActionPlan.id)
        .limit(limit)
    )
    return [r for r in rows if rules.plan_overdue(r.due_date, r.state, as_of)]


def plans_by_department(limit: int = PLANS_PER_DEPARTMENT) -> dict[int, list[Any]]:
    """The first `limit` plans of every department, open ones soonest due first (one query)."""
    closed = sa.case((ActionPlan.state.in_(rules.CLOSED_STATES), 1), else_=0)
    undated = sa.case((ActionPlan.due_date.is_(None), 1), else_=0)
    rank = sa.func.row_number().over(
        partition_by=ActionPlan.department_id,
        order_by=(closed, undated, ActionPlan.due_date, ActionPlan.id),
    )
    ranked = _live_plans().add_columns(rank.label("rank")).subquery()
    found: dict[int, list[Any]] = {}
    for row in db.session.execute(
        sa.select(ranked)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.department_id, ranked.c.rank)
    ):
        found.setdefault(row.department_id, []).append(row)
    return found


def build(as_of: date) -> Deck:
    """The deck at as_of, in a fixed number of queries whatever the size of the data."""
    view = dashboard.build(as_of)
    people = load_users(d.lead_id for d, _ in view.departments)
    plans = plans_by_department()
    found = charted.lines(as_of)
    per_department = charted.by_department(found, CHARTED_PER_DEPARTMENT)
    off = [o.id for o, r in view.attention if r.status == rules.OFF_TRACK][:OBJECTIVE_SLIDES]
    per_objective = charted.by_objective(found, set(off), PANELS_PER_SLIDE)
    ids = [i for group in (*per_department.values(), *per_objective.values()) for i in group]
    drawn = charted.figures(ids, as_of, charts.MEETING)

    def grids(indicator_ids: list[int], title: str) -> list[dict[str, Any]]:
        return charted.grids(
            indicator_ids, drawn, PANELS_PER_SLIDE, title, charts.MEETING, heading=False
        )

    departments = [
        DepartmentSlide(
            department=d,
            scorecard=sc,
            results=view.department_results.get(d.id),
            plans=plans.get(d.id, []),
            overdue={
                p.id for p in plans.get(d.id, []) if rules.plan_overdue(p.due_date, p.state, as_of)
            },
            grids=grids(per_department.get(d.id, []), f"{d.name}: expected vs actual"),
        )
        for d, sc in view.departments
    ]
    return Deck(
        as_of=as_of,
        view=view,
        changes=reviews.changes_since(as_of),
        overdue=overdue_plans(as_of),
        departments=departments,
        objective_grids={
            oid: grids(ids_, "Its indicators: expected vs actual")
            for oid, ids_ in per_objective.items()
        },
        people=people,
    )
