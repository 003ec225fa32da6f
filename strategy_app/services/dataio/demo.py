"""Load the demo distributor of seed 001 in one transaction (the `seed-demo` command).

The story lives in services.demo_data; this module turns it into rows. Every date is
relative to services.clock.today(), so the demo always looks current: baselines six months
ago, targets six months ahead, monthly actuals up to last month. The actuals are computed
from each indicator's expected path so that, evaluated today by services.rules, every
indicator has the status its row asks for.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import cycle

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AssessmentAnswer,
    CheckIn,
    CompanyStrategy,
    Department,
    FollowUp,
    Indicator,
    Measurement,
    Milestone,
    NpsResponse,
    Objective,
    Organization,
    PlanDependency,
    Review,
    ReviewDecision,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.services.dataio import checklist, demo_health, demo_nps
from strategy_app.services.dataio import demo_data as data
from strategy_app.services.evaluation import clock, rules
from strategy_app.services.plumbing import audit
from strategy_app.services.writes import users

# The binding sign-ins of DESIGN §5 (email, role); member@demo.test belongs to sales.
DEMO_SIGN_INS: list[tuple[str, str]] = [
    ("ceo@demo.test", "executive"),
    ("sales.lead@demo.test", "lead"),
    ("logistics.lead@demo.test", "lead"),
    ("marketing.lead@demo.test", "lead"),
    ("finance.lead@demo.test", "lead"),
    ("systems.lead@demo.test", "lead"),
    ("member@demo.test", "member"),
    ("viewer@demo.test", "viewer"),
]

# Shortfall of the latest actual against today's expected value, in tolerance bands
# (tolerance × span): ≤ 0 on track, ≤ 1 at risk, beyond off track (DESIGN §3).
# The story's calendar, in days before today: the company set its strategies up, retired the
# old service strategy, then set the objectives and plans the months of actuals follow.
SET_UP_DAYS_AGO = 400
SERVICE_ARCHIVED_DAYS_AGO = 200
PLANS_DAYS_AGO = 160

_GAPS = {rules.ON_TRACK: -0.5, rules.AT_RISK: 0.5, rules.OFF_TRACK: 2.5}
# For `maintain`: distance of the latest actual from the target, in tolerance bands.
_MAINTAIN_OFFSETS = {rules.ON_TRACK: 0.4, rules.AT_RISK: 1.5, rules.OFF_TRACK: 3.0}


def relative_date(code: str, today: date) -> date:
    """Read a date code of demo_data: "m-6" month end, "f+1" first of month, "d-10" days."""
    kind, offset = code[0], int(code[1:])
    if kind == "d":
        return today + timedelta(days=offset)
    year, month0 = divmod(today.year * 12 + today.month - 1 + offset, 12)
    if kind == "f":
        return date(year, month0 + 1, 1)
    if kind == "m":
        return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])
    raise ValueError(f"Unknown date code {code!r}.")


def monthly_actuals(
    spec: rules.IndicatorSpec, health: str, dates: list[date], today: date, decimals: int
) -> list[tuple[date, float]]:
    """Actuals on the given dates (the first is the baseline) whose latest gives `health` today."""
    band = spec.tolerance * rules.span(spec)
    last = len(dates) - 1
    values = [(dates[0], spec.baseline_value)]
    for i, d in enumerate(dates[1:], start=1):
        share = i / last
        wiggle = 0.0 if i == last else (0.15 if i % 2 else -0.15) * band
        if spec.direction == "maintain":
            value = spec.target_value - _MAINTAIN_OFFSETS[health] * band * share + wiggle
        else:
            sign = 1 if spec.direction == "increase" else -1
            anchor = today if i == last else d  # the latest actual is judged against today
            gap = _GAPS[health] * band * share + wiggle
            value = rules.expected(spec, anchor) - sign * gap
        values.append((d, round(value, decimals)))
    return values


def already_present() -> bool:
    """Whether the demo has been loaded (its executive exists)."""
    return users.find_by_email(DEMO_SIGN_INS[0][0]) is not None


def _clashes() -> list[str]:
    """What in a database without the demo would collide with it."""
    found = []
    if org := db.session.scalar(sa.select(Organization.name).limit(1)):
        found.append(f"an organization ({org!r})")
    slugs = [slug for slug, *_ in data.DEPARTMENTS]
    taken = db.session.scalars(sa.select(Department.slug).where(Department.slug.in_(slugs)))
    found += [f"department {slug!r}" for slug in taken]
    emails = [email for email, _ in DEMO_SIGN_INS]
    found += [
        f"user {e!r}"
        for e in db.session.scalars(sa.select(User.email).where(User.email.in_(emails)))
    ]
    return found


def seed_demo(password: str) -> bool:
    """Load the demo in one transaction; False (and nothing changed) if it is already there.

    Raises ValueError when the password is unacceptable or the database holds other data
    the demo would collide with.
    """
    if problems := users.password_problems(password):
        raise ValueError("The demo password is not acceptable: " + " ".join(problems))
    if already_present():
        return False
    if clashes := _clashes():
        raise ValueError(
            "The demo cannot be loaded next to existing data: this database already has "
            + ", ".join(clashes)
            + ". Nothing was changed."
        )
    session = db.session
    previous_actor = session.info.get(audit.ACTOR_KEY)
    try:
        _Builder(clock.today(), users.hash_password(password)).build()
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        audit.set_actor(session, previous_actor)
    return True


class _Builder:
    """Adds the demo's rows to the session, step by step; the caller commits."""

    def __init__(self, today: date, password_hash: str):
        self.today = today
        self.password_hash = password_hash
        self.session = db.session
        self.users: dict[str, User] = {}
        self.plans: dict[str, ActionPlan] = {}
        self.parents: dict[str, Objective | ActionPlan] = {}
        self.departments: dict[str, Department] = {}
        self.service: ServiceStrategy | None = None
        self.archived_services: list[ServiceStrategy] = []
        self.pending_actuals: list[tuple[date, dict]] = []
        # Follow-ups written open on their answer's day, moved on later (demo_nps.add).
        self.follow_ups: list[tuple[FollowUp, str, str]] = []

    def when(self, code: str) -> date:
        return relative_date(code, self.today)

    def at(self, days_ago: int) -> datetime:
        return datetime.combine(self.today - timedelta(days=days_ago), time(9, 30), tzinfo=UTC)

    def add(self, *rows) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def on(self, day: date):
        """Write the story's changes of that day, stamped with it (and its audit events)."""
        return clock.travel(min(day, self.today), time(9, 30))

    def build(self) -> None:
        # The story's own dates: its past is worth looking at with ?as_of= (DESIGN §7).
        with self.on(self.when(f"d-{SET_UP_DAYS_AGO}")):
            self.people()
            self.strategies()
        with self.on(self.when(f"d-{SERVICE_ARCHIVED_DAYS_AGO}")):
            for service in self.archived_services:
                service.archived_at = utcnow()
            self.session.flush()
        with self.on(self.when(f"d-{PLANS_DAYS_AGO}")):
            self.objectives_and_plans()
            self.indicators()
        self.actuals()
        self.check_ins()
        self.nps()
        with self.on(self.when("d-21")):
            self.assessment()
        demo_health.add(self)
        with self.on(self.when(f"d-{data.REVIEW['days_ago']}")):
            self.review()
        demo_nps.add(self)  # the customer's voice: segments, follow-ups, NPS-fed indicator

    def user(self, email: str, role: str, department: Department | None) -> User:
        name, _ = data.PEOPLE[email]
        user = User(
            email=email,
            name=name,
            role=role,
            department=department,
            password_hash=self.password_hash,
        )
        self.users[email] = user
        return user

    def people(self) -> None:
        ceo_email, ceo_role = DEMO_SIGN_INS[0]
        ceo = self.user(ceo_email, ceo_role, None)
        self.add(ceo)
        # From here on the audit log names the executive who, in the story, set it all up;
        # her own account and nothing else is recorded as made by the command line.
        audit.set_actor(self.session, ceo.id)
        self.add(Organization(**data.ORGANIZATION))
        departments = {
            slug: Department(slug=slug, name=name, colour=colour, service_role=role, position=n)
            for n, (slug, name, colour, role) in enumerate(data.DEPARTMENTS)
        }
        self.add(*departments.values())
        # Departments first, then their people, then the leads (the two tables refer to
        # each other, so the rows go in over three flushes).
        for email, role in DEMO_SIGN_INS[1:]:
            slug = data.PEOPLE[email][1]
            self.add(self.user(email, role, departments[slug] if slug else None))
        for slug, department in departments.items():
            department.lead = self.users[data.lead(slug)]
        self.session.flush()
        self.departments = departments

    def strategies(self) -> None:
        company = {
            key: CompanyStrategy(title=title, description=text, owner=self.users[owner], position=n)
            for n, (key, title, text, owner) in enumerate(data.COMPANY_STRATEGIES)
        }
        self.add(*company.values())
        ceo = self.users[data.CEO]
        for row in data.SERVICE_STRATEGIES:
            service = ServiceStrategy(
                title=row.title,
                statement=row.statement,
                owner=ceo,
                status=row.status,
                period_start=self.when("f-17" if row.archived else "f-5"),
                period_end=self.when("m-6" if row.archived else "m+6"),
            )
            service.links = [
                StrategyLink(company_strategy=company[key], fit=fit, rationale=why)
                for key, fit, why in row.links
            ]
            self.add(service)
            if row.archived:
                self.archived_services.append(service)  # archived later in the story
            else:
                self.service = service

    def objectives_and_plans(self) -> None:
        objectives = {
            key: Objective(
                service_strategy=self.service,
                title=title,
                description=text,
                owner=self.users[owner],
                start_date=self.when("f-5"),
                due_date=self.when("m+6"),
                tags=tags,
            )
            for key, title, text, owner, tags in data.OBJECTIVES
        }
        self.add(*objectives.values())
        with_check_ins = set(data.CHECK_INS)
        for row in data.PLANS:
            # A plan with check-ins starts planned; its check-ins move it on over the months.
            started = row.key not in with_check_ins
            self.plans[row.key] = ActionPlan(
                objective=objectives[row.objective],
                department=self.departments[row.department],
                title=row.title,
                description=row.description,
                owner=self.users[row.owner],
                start_date=self.when(row.start),
                due_date=self.when(row.due),
                # made from a weak element of the service health (services.dataio.demo_health)
                health_element=demo_health.PLANS_FROM_ELEMENTS.get(row.key),
                state=row.state if started else "planned",
                progress_pct=row.pct if started else 0,
                budget=None if row.budget is None else Decimal(row.budget),
            )
        self.add(*self.plans.values())
        self.add(
            *(
                PlanDependency(plan=self.plans[p], blocked_by=self.plans[b], note=note)
                for p, b, note in data.DEPENDENCIES
            )
        )
        self.parents = {**objectives, **self.plans}

    def indicators(self) -> None:
        nps_by_month = [rules.nps(int(s) for s in month.split()) for month in data.NPS_SCORES]
        for row in data.INDICATORS:
            parent = self.parents[row.parent]
            indicator = Indicator(
                objective=parent if isinstance(parent, Objective) else None,
                action_plan=parent if isinstance(parent, ActionPlan) else None,
                name=row.name,
                unit=row.unit,
                direction=row.direction,
                baseline_value=float(row.baseline),
                baseline_date=self.when(row.since),
                target_value=float(row.target),
                target_date=self.when(row.until),
                tolerance=row.tolerance,
                external_key=row.external_key,
                milestones=[
                    Milestone(date=self.when(d), expected_value=v) for d, v in row.milestones
                ],
            )
            self.add(indicator)
            if row.health is None:
                continue
            months = range(int(row.since[1:]), 0)  # month ends from the baseline to last month
            dates = [self.when(f"m{k:+d}") for k in months]
            if row.source == "nps":
                values = list(zip(dates, nps_by_month, strict=True))
            else:
                spec = rules.IndicatorSpec.of(indicator)
                values = monthly_actuals(spec, row.health, dates, self.today, row.decimals)
            entered_by = self.entered_by(row.source, parent)
            self.pending_actuals += [
                (
                    d + timedelta(days=1),  # entered the day after the month it measures
                    {
                        "indicator": indicator,
                        "date": d,
                        "value": float(v),
                        "source": row.source,
                        "entered_by": entered_by,
                        "note": "Baseline" if n == 0 else (row.note if d == dates[-1] else ""),
                    },
                )
                for n, (d, v) in enumerate(values)
            ]

    def actuals(self) -> None:
        """The actuals, each entered on its day (those measured before the plans: on theirs)."""
        earliest = self.when(f"d-{PLANS_DAYS_AGO}")
        by_day: dict[date, list[dict]] = {}
        for day, measurement in self.pending_actuals:
            by_day.setdefault(max(day, earliest), []).append(measurement)
        for day in sorted(by_day):
            with self.on(day):
                self.add(*(Measurement(**fields) for fields in by_day[day]))

    def entered_by(self, source: str, parent: Objective | ActionPlan) -> User | None:
        """Who enters an indicator's actuals: the owner, the CRM's token owner, or the app."""
        if source == "api":
            return self.users[data.lead("systems")]
        return None if source == "nps" else parent.owner

    def check_ins(self) -> None:
        """Each check-in on its day, oldest first; the plan takes its state and progress."""
        final = {row.key: row for row in data.PLANS}
        posts = sorted(
            ((row.days_ago, key, row) for key, rows in data.CHECK_INS.items() for row in rows),
            key=lambda post: -post[0],
        )
        for days_ago, key, row in posts:
            plan = self.plans[key]
            state = row.state or final[key].state
            pct = final[key].pct if row.pct is None else row.pct
            with self.on(self.when(f"d-{days_ago}")):
                self.session.add(
                    CheckIn(
                        action_plan=plan,
                        author=self.users[row.author],
                        state=state,
                        progress_pct=pct,
                        confidence=row.confidence,
                        text=row.text,
                    )
                )
                plan.state, plan.progress_pct = state, pct
                self.session.flush()

    def nps(self) -> None:
        segments = cycle(data.NPS_SEGMENTS)
        praise = cycle(data.PROMOTER_COMMENTS)
        issues = cycle(data.DETRACTOR_ISSUES)
        months = len(data.NPS_SCORES)
        for m, month in enumerate(data.NPS_SCORES):
            first = self.when(f"f{m - months:+d}")
            age = months - m  # 1 = last month
            states = cycle(("open", "contacted") if age == 1 else ("contacted", "resolved"))
            scores = [int(s) for s in month.split()]
            for j, score in enumerate(scores):
                segment, prefix = next(segments)
                response = NpsResponse(
                    date=first + timedelta(days=j * 27 // len(scores)),
                    score=score,
                    segment=segment,
                    customer_ref=f"{prefix}-{(j * 7 + m * 3) % 40 + 1:03d}",
                )
                if score >= 9:
                    response.comment = next(praise)
                elif score <= 6:
                    text, owner, plan = next(issues)
                    state = next(states) if age <= 2 else "resolved"
                    response.comment = text
                    response.follow_up = FollowUp(
                        owner=self.users[owner], state="open", action_plan=self.plans[plan]
                    )
                    self.follow_ups.append((response.follow_up, state, data.FOLLOW_UP_NOTES[state]))
                with self.on(response.date):
                    self.add(response)

    def assessment(self) -> None:
        assessment = Assessment(
            date=self.when("d-21"),
            assessor=self.users[data.CEO],
            notes=data.ASSESSMENT_NOTES,
            created_at=self.at(21),
        )
        for element in checklist.ELEMENTS:
            scores = data.ASSESSMENT_SCORES[element.key].split()
            for statement, score in zip(element.statements, scores, strict=True):
                assessment.answers.append(
                    AssessmentAnswer(
                        statement_key=statement.key,
                        score=int(score),
                        comment=data.ASSESSMENT_COMMENTS.get(statement.key, ""),
                    )
                )
        self.add(assessment)

    def review(self) -> None:
        review = Review(
            date=self.when(f"d-{data.REVIEW['days_ago']}"),
            attendees=data.REVIEW["attendees"],
            notes=data.REVIEW["notes"],
            decisions=[
                ReviewDecision(text=text, action_plan=self.plans.get(plan))
                for text, plan in data.REVIEW["decisions"]
            ],
        )
        self.add(review)
