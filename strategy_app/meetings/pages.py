"""What meeting mode shows: its slides, from the dashboard's figures and services.reads.compare.

Nothing here computes a rule of DESIGN §3: statuses, scorecards and roll-ups come from
services.metrics (through services.dashboard); overdue is rules.plan_overdue; what changed
since the last review is compare.compare (the one behind /reports/changes).

The deck page draws its first slide and every slide's heading; each other slide is drawn on
its own (GET /meeting/slides/<id>), so what a slide shows is worked out only when it is shown:
a Grid's figures, the figures dict's charts and the comparison are all computed on first use.

Every slide fits a 1920 × 1080 projector: a list longer than a slide holds runs over several
slides ("2 of 3"), each reachable with ← →. The deck is SECTIONS in order, each a function
of the Deck giving its slides; a slide is drawn by templates/meetings/slides/<kind>.html. To
add one (the customer's voice, say): write its template and a section function, and put the
function into SECTIONS (add_section does it, before the closing slide by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any, TypeVar

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.charts import nps as nps_charts
from strategy_app.departments import indicators as charted
from strategy_app.departments.pages import load_users
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Objective, Review, ServiceStrategy, User
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.reads import compare, dashboard
from strategy_app.services.reads import health as health_reads
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import reviews

PLANS_PER_DEPARTMENT = 8  # plans listed on a department's slides (open ones first)
OVERDUE_LISTED = 20
# What one 1920 × 1080 slide holds
PLANS_FIRST = 3  # plans under a department's figures
ROWS_PER_SLIDE = 6  # rows of a table of plans or objectives
CHANGES_LISTED = 6  # changes listed on the changes slide (the rest: /reports/changes)
DEFAULT_DAYS = reviews.DEFAULT_DAYS  # no review yet: the changes of the last two weeks
PANELS_PER_SLIDE = 6  # expected-vs-actual plots (three columns, two rows)
CHARTED_PER_DEPARTMENT = 12  # the worst indicators of each department, two slides at most
# The overview's chart shares its slide with the vision (two lines at most), the figures and
# two lines of text: it keeps to what a chart has on a slide less their room.
OVERVIEW_CHART_ROOM = charts.MEETING.height - 120
OBJECTIVE_SLIDES = 8  # off-track objectives given a slide of their own, worst first

T = TypeVar("T")


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


# Changes of these kinds leave the deck's outline as it was (which plans each department
# lists, how many indicators it charts): an actual, a check-in (its plan's own change is an
# ActionPlan change), a milestone, a review.
QUIET_KINDS = frozenset({"Measurement", "CheckIn", "Milestone", "Review", "ReviewDecision"})


def _unless_structure_changed(old: T, touched: data_version.Touched) -> T | None:
    """The value kept, when the changes since touched only QUIET_KINDS; else None."""
    return old if touched.kinds <= QUIET_KINDS else None


@dataclass(frozen=True)
class Grid:
    """One slide's expected-vs-actual small multiples: the `part`-th six of a department's
    (or an objective's) indicators, worst first. Which ones, and their figure, are worked
    out when the slide is drawn, and the figure is kept per data version."""

    owner: str  # "department" or "objective"
    owner_id: int
    part: int  # 0: the first PANELS_PER_SLIDE indicators, 1: the next...
    title: str
    as_of: date

    def ids(self) -> tuple[int, ...]:
        """The indicators this slide draws, worst first."""
        found = charted.lines(self.as_of)
        if self.owner == "department":
            ids = charted.by_department(found, CHARTED_PER_DEPARTMENT).get(self.owner_id, [])
        else:
            ids = charted.by_objective(found, {self.owner_id}, PANELS_PER_SLIDE).get(
                self.owner_id, []
            )
        return tuple(ids[self.part * PANELS_PER_SLIDE : (self.part + 1) * PANELS_PER_SLIDE])

    def figure(self) -> dict[str, Any] | None:
        """The small multiples (None when there is no indicator to draw)."""
        ids = self.ids()

        def draw() -> dict[str, Any] | None:
            drawn = charted.figures(list(ids), self.as_of, charts.MEETING)
            found = charted.grids(
                list(ids), drawn, PANELS_PER_SLIDE, self.title, charts.MEETING, heading=False
            )
            return found[0] if found else None

        return (
            per_version.memo("meeting_grid", (ids, self.as_of, self.title), draw) if ids else None
        )


@dataclass(frozen=True)
class Outline:
    """What decides the deck's slides beyond the dashboard's figures, as plain rows (kept
    per data version): each department's first plans and charted indicators, the overdue
    plans, and whether the customer's voice has anything to show."""

    plans: dict[int, list[Any]]  # department id -> its first plans
    charted: dict[int, int]  # department id -> indicators charted (<= CHARTED_PER_DEPARTMENT)
    overdue: list[Any]
    voice: bool


def outline(as_of: date) -> Outline:
    """The outline at as_of, kept until a change touches more than QUIET_KINDS (an actual
    moves statuses, not which plans are listed or how many indicators are charted)."""

    def compute() -> Outline:
        found = charted.by_department(charted.lines(as_of), CHARTED_PER_DEPARTMENT)
        return Outline(
            plans=plans_by_department(),
            charted={department_id: len(ids) for department_id, ids in found.items()},
            overdue=overdue_plans(as_of),
            voice=Voice(as_of).heard(),
        )

    return per_version.memo("meeting_outline", as_of, compute, refresh=_unless_structure_changed)


@dataclass
class DepartmentSlide:
    """One department: its scorecard, results and first plans (open ones, soonest due first)."""

    department: Department
    scorecard: rules.Scorecard
    results: float | None
    plans: list[Any]
    overdue: set[int]
    grids: list[Grid] = field(default_factory=list)  # expected vs actual, one per slide

    @property
    def plan_total(self) -> int:
        """Plans of the department (every state)."""
        return sum(self.scorecard.plans.values())


@dataclass
class Deck:
    """Every slide of meeting mode at a date."""

    as_of: date
    view: dashboard.Dashboard
    overdue: list[Any]
    departments: list[DepartmentSlide]
    objective_grids: dict[int, list[Grid]] = field(default_factory=dict)
    # The department leads, loaded once and kept while the deck renders (load_users).
    people: list[User] = field(default_factory=list, repr=False)
    outline: Outline | None = None

    @cached_property
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
    def figures(self) -> Figures:
        """The deck's charts, by name, each built when a slide first asks for it."""
        return Figures(self)

    @cached_property
    def review(self) -> Review | None:
        """The latest live review on or before the deck's day (one query)."""
        return reviews.latest_review(self.as_of)

    @cached_property
    def changes(self) -> Since:
        """What changed since the last review (or the last two weeks) up to the deck's day."""
        return since(self.as_of, self.review)

    @property
    def off_track(self) -> list[tuple[Objective, rules.Rollup]]:
        """The off-track objectives that get a slide of their own, worst first."""
        return [(o, r) for o, r in self.troubled if r.status == rules.OFF_TRACK][:OBJECTIVE_SLIDES]

    @cached_property
    def slides(self) -> list[Slide]:
        """The slides in order: every section's."""
        return [slide for section in SECTIONS for slide in section(self)]

    def slide(self, slide_id: str) -> tuple[int, Slide] | None:
        """(its index, the slide) of the slide with this id, or None."""
        return next(((n, s) for n, s in enumerate(self.slides) if s.id == slide_id), None)


class Figures:
    """The deck's charts; each is built on first use (the deck page draws one of them)."""

    def __init__(self, deck: Deck) -> None:
        self.deck = deck

    @cached_property
    def rows(self) -> list[charts.DepartmentRow]:
        return self.deck.view.department_rows

    @cached_property
    def by_service(self) -> dict[str, Any]:
        """Objectives by status per customer-service strategy."""
        view = self.deck.view
        counts = [(s.title, view.counts_by_service.get(s.id, {})) for s in view.service_strategies]
        return charts.objectives_by_service(
            counts, surface=charts.MEETING, room=OVERVIEW_CHART_ROOM
        )

    @cached_property
    def departments(self) -> dict[str, Any]:
        """The departments compared: execution vs results, plans by state."""
        return charts.department_comparison(self.rows, surface=charts.MEETING)

    @cached_property
    def misses(self) -> dict[str, Any]:
        """The indicators furthest short of what was expected."""
        return charts.biggest_misses(self.deck.view.misses, surface=charts.MEETING)

    @cached_property
    def overdue(self) -> dict[str, Any]:
        """Overdue plans per department."""
        return charts.overdue_by_department(self.rows, surface=charts.MEETING)


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


def changes(deck: Deck) -> list[Slide]:
    """What changed since the last review: counts by kind and the first changes, one slide
    (the whole list is /reports/changes for the same two days)."""
    return [Slide("slide-changes", "Changes since the last review", "changes")]


# The changes slide lists these kinds in this order, the ones a meeting acts on first.
CHANGE_KINDS = (
    ("status_changes", "objective statuses changed"),
    ("state_changes", "plan states changed"),
    ("new", "new items"),
    ("archived", "items archived"),
    ("progress_moves", "plans' progress moved"),
    ("new_actuals", "new actuals"),
)


@dataclass(frozen=True)
class Change:
    """One line of the changes slide: what kind of change, and of which item."""

    kind: str  # a key of CHANGE_KINDS
    item: compare.Item | compare.Move


@dataclass
class Since:
    """The changes slide: from the end of `start` (the last review's day, or DEFAULT_DAYS
    back) to the end of `end` (the deck's day), as compare.compare sees them."""

    review: Review | None
    start: date
    end: date
    comparison: compare.Comparison | None  # None when the two days are the same
    kinds: tuple[tuple[str, str], ...] = CHANGE_KINDS

    def count(self, kind: str) -> int:
        """How many changes of this kind were found (at most compare.LISTED)."""
        return len(getattr(self.comparison, kind)) if self.comparison else 0

    def capped(self, kind: str) -> bool:
        """Whether compare stopped listing this kind at its limit (there may be more)."""
        return self.count(kind) >= compare.LISTED

    @property
    def incomplete(self) -> bool:
        """Whether some kind was cut at compare's limit (the total is then a lower bound)."""
        return any(self.capped(kind) for kind, _ in CHANGE_KINDS)

    @property
    def total(self) -> int:
        """Changes of every kind found."""
        return sum(self.count(kind) for kind, _ in CHANGE_KINDS)

    @cached_property
    def listed(self) -> list[Change]:
        """The first CHANGES_LISTED changes, kind by kind (CHANGE_KINDS; newest actuals first)."""
        found: list[Change] = []
        for kind, _ in CHANGE_KINDS:
            items = getattr(self.comparison, kind) if self.comparison else []
            if kind == "new_actuals":
                items = list(reversed(items))
            found += [Change(kind, item) for item in items[: CHANGES_LISTED - len(found)]]
        return found

    @property
    def more(self) -> int:
        """Changes found but not listed on the slide."""
        return self.total - len(self.listed)


def since(as_of: date, review: Review | None) -> Since:
    """The changes from the last review (or DEFAULT_DAYS before as_of) to the end of as_of,
    kept per data version (compare reads every plan of both days)."""
    start = review.date if review is not None else as_of - timedelta(days=DEFAULT_DAYS)
    if start >= as_of:
        return Since(review, start, as_of, None)
    _days, found = per_version.memo(
        "meeting_changes",
        (start, as_of),
        lambda: _compared(start, as_of, compare.days(start, as_of)),
        refresh=lambda old, touched: _follow(old, touched, start, as_of),
    )
    return Since(review, start, as_of, found)


Compared = tuple[compare.Days, compare.Comparison]


def _compared(
    start: date, as_of: date, days: compare.Days | None, moved: compare.Comparison | None = None
) -> Compared | None:
    return None if days is None else (days, compare.difference(start, as_of, days, moved))


def _follow(old: Compared, touched, start: date, as_of: date) -> Compared | None:
    """After changes to actuals alone, made today, the days compared follow them (the
    earlier day stays as it was): an actual entered in the meeting shows at once."""
    if touched.kinds <= metrics.ACTUALS_ONLY and as_of >= today():
        followed = compare.follow_actuals(old[0], start, as_of, touched.of("Measurement"))
        return _compared(start, as_of, followed, moved=old[1])
    return None


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


class Voice:
    """The customer's voice at the deck's date: NPS trend and loop, open follow-ups, radar;
    each read when its slide is drawn."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of

    @cached_property
    def nps(self) -> nps_reads.CustomerVoice:
        """The NPS by month, the closed loop and the open follow-ups."""
        return nps_reads.customer_voice(self.as_of, ROWS_PER_SLIDE)

    @cached_property
    def trend(self) -> dict[str, Any] | None:
        """NPS by month (None without a response)."""
        months = self.nps.months
        return nps_charts.trend(months, "NPS by month", surface="meeting") if months else None

    @cached_property
    def radar(self) -> dict[str, Any] | None:
        """The latest service-health assessment's radar (None without one)."""
        return health_reads.latest_radar(
            self.as_of, title="Service health by element", height=700, surface=charts.MEETING
        )

    def heard(self) -> bool:
        """Whether there is anything to show: responses, follow-ups waiting or a radar."""
        return bool(self.trend or self.radar or self.nps.open_follow_ups)


def customer_voice(deck: Deck) -> list[Slide]:
    """The customer's voice: the NPS trend and closed loop, then what detractors still wait
    for beside the latest service-health radar (DESIGN §7; seeds 002 and 004)."""
    if not deck.outline.voice:
        return []
    voice = Voice(deck.as_of)
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
    """The deck at as_of: every slide's heading and what a slide needs to be drawn, in a
    fixed number of queries whatever the size of the data. Figures and the comparison are
    left for the slides that show them (Grid, Figures, Deck.changes)."""
    view = dashboard.build(as_of)
    people = load_users(d.lead_id for d, _ in view.departments)
    kept = outline(as_of)
    plans = kept.plans
    off = [o.id for o, r in view.attention if r.status == rules.OFF_TRACK][:OBJECTIVE_SLIDES]

    def department_grids(d: Department) -> list[Grid]:
        title = f"{d.name}: expected vs actual"
        n = kept.charted.get(d.id, 0)
        return [
            Grid("department", d.id, k, title, as_of)
            for k in range((n + PANELS_PER_SLIDE - 1) // PANELS_PER_SLIDE)
        ]

    departments = [
        DepartmentSlide(
            department=d,
            scorecard=sc,
            results=view.department_results.get(d.id),
            plans=plans.get(d.id, []),
            overdue={
                p.id for p in plans.get(d.id, []) if rules.plan_overdue(p.due_date, p.state, as_of)
            },
            grids=department_grids(d),
        )
        for d, sc in view.departments
    ]
    return Deck(
        as_of=as_of,
        view=view,
        overdue=kept.overdue,
        departments=departments,
        objective_grids={
            oid: [Grid("objective", oid, 0, "Its indicators: expected vs actual", as_of)]
            for oid in off
        },
        people=people,
        outline=kept,
    )
