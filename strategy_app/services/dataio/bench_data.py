"""The large benchmark data set of DESIGN §8 (`flask seed-bench --plans N`), generated fast.

Everything scales from the number of plans by the ratios of §8; `generate(5000)` gives
exactly 5 departments, 500 objectives, 5,000 plans, 1,500 indicators, 150,000 measurements,
20,000 check-ins and 50 users, plus an organization, company and service strategies with
their links, milestones on every fourth indicator and a few plan dependencies.

Rows go in through Core bulk inserts (`session.execute(insert(table), rows)`), which bypass
the ORM and so the audit flush hook; one audit event records the whole generation instead.
The data is deterministic for a given seed and "today": dates are placed around today so
that the dashboard shows a realistic mix of on-track, at-risk and off-track objectives.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Milestone,
    Objective,
    Organization,
    PlanDependency,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import data_version
from strategy_app.services.writes.users import hash_password

# Every bench user signs in with this password (documented in benchmarks/README.md).
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - a published benchmark password
BENCH_DOMAIN = "bench.test"
BENCH_EMAIL = f"ceo@{BENCH_DOMAIN}"  # an executive: sees every page

DEFAULT_SEED = 20260615
CHUNK = 5000

# The ratios of DESIGN §8, per plan (5,000 plans → 500 objectives, 1,500 indicators, ...).
OBJECTIVES_PER_PLAN = 0.1
INDICATORS_PER_PLAN = 0.3
MEASUREMENTS_PER_INDICATOR = 100
CHECK_INS_PER_PLAN = 4
HISTORY_DAYS = 600  # the data set's story begins this many days before today
USERS_PER_PLAN = 0.01
MIN_USERS = 12
# How fast each indicator's actuals move relative to its plan: most keep pace, some lag,
# a few fall far behind (about 70 % of indicators on track, 15 % at risk, 15 % off track).
PACES = (1.15, 1.1, 1.1, 1.05, 1.05, 1.05, 1.0, 0.95, 0.85, 0.6)
MILESTONE_EVERY = 4  # every fourth indicator has milestones
DEPENDENCY_EVERY = 50  # one plan dependency per 50 plans

DEPARTMENTS = (
    ("Sales", "sales", "#0d6efd", "Wins and keeps customers; owns the account relationship."),
    ("Logistics", "logistics", "#198754", "Delivers complete orders on time."),
    ("Customer service", "customer-service", "#6f42c1", "Answers, solves and follows up."),
    ("Marketing", "marketing", "#d63384", "Listens to the market and the consumer."),
    ("Finance", "finance", "#fd7e14", "Bills correctly and collects without friction."),
)
COMPANY_STRATEGIES = (
    ("Grow sales in existing accounts", "Sell more to the customers we already serve."),
    ("Reduce the cost to serve", "Lower logistics and handling costs per order."),
    ("Know the consumer", "Understand what end consumers buy and why."),
    ("Expand to new regions", "Open two new regions within three years."),
)
# (title, statement, [(company strategy index, fit, rationale)])
SERVICE_STRATEGIES = (
    (
        "Perfect order, every time",
        "Every order complete, on time and billed right.",
        [(0, "supports", "Reliable service keeps accounts buying."), (1, "supports", "")],
    ),
    (
        "Proactive account care",
        "We call before the customer has to.",
        [(0, "supports", "Care grows share of wallet."), (1, "conflicts", "Visits cost money.")],
    ),
    (
        "Self-service first",
        "Customers find answers and order online, any time.",
        [
            (1, "supports", ""),
            (2, "supports", "Online orders tell us what sells."),
            (3, "neutral", ""),
        ],
    ),
)
OBJECTIVE_THEMES = (
    "Raise on-time delivery",
    "Cut order errors",
    "Shorten response time",
    "Grow repeat orders",
    "Reduce billing disputes",
    "Lift customer satisfaction",
    "Increase online ordering",
    "Lower cost per order",
)
TAGS = ("moment of truth", "critical success factor", "quality", "speed", "cost", "loyalty")
INDICATOR_KINDS = (  # (name, unit, direction, baseline range)
    ("On-time delivery", "%", "increase", (60.0, 85.0)),
    ("Complete orders", "%", "increase", (70.0, 90.0)),
    ("First-contact resolution", "%", "increase", (40.0, 70.0)),
    ("Repeat customers", "count", "increase", (100.0, 900.0)),
    ("Average response time", "hours", "decrease", (12.0, 48.0)),
    ("Billing disputes", "count", "decrease", (20.0, 120.0)),
    ("Cost per order", "EUR", "decrease", (8.0, 25.0)),
    ("Order accuracy", "%", "maintain", (97.0, 99.5)),
)
PLAN_STATE_WEIGHTS = (("in_progress", 55), ("done", 20), ("blocked", 10), ("planned", 8))
PLAN_STATE_WEIGHTS += (("cancelled", 7),)
PLAN_VERBS = ("Train", "Automate", "Redesign", "Measure", "Pilot", "Roll out", "Review", "Fix")
PLAN_OBJECTS = (
    "the picking process",
    "the order confirmation",
    "the returns desk",
    "the key-account calls",
    "the invoice template",
    "the delivery routes",
    "the web shop checkout",
    "the complaint follow-up",
)


def generate(plans: int, *, seed: int = DEFAULT_SEED, as_of: date | None = None) -> dict[str, int]:
    """Fill an empty, migrated database with the §8 data set scaled to `plans` plans.

    Returns the number of rows created per kind. Raises ValueError when `plans` is not a
    positive number or when the database already holds departments, plans or bench users.
    """
    if isinstance(plans, bool) or not isinstance(plans, int) or plans < 1:
        raise ValueError(f"plans must be a positive whole number, not {plans!r}.")
    _refuse_unless_empty()
    try:
        return _Generator(plans, random.Random(seed), as_of or today()).run()  # noqa: S311
    except Exception:
        db.session.rollback()  # all or nothing: no half-made data set
        raise


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _refuse_unless_empty() -> None:
    found = {"action plans": _count(ActionPlan), "departments": _count(Department)}
    existing = [f"{n} {kind}" for kind, n in found.items() if n]
    bench_users = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.email.like(f"%@{BENCH_DOMAIN}"))
    )
    if bench_users:
        existing.append(f"{bench_users} bench users")
    if existing:
        raise ValueError(
            "seed-bench needs an empty, migrated database, but this one already has "
            + ", ".join(existing)
            + ". Point DATABASE_URL at a new database and run `flask --app wsgi db upgrade` first."
        )


def _insert(model, rows: Sequence[dict], *, ids: bool = False) -> list[int]:
    """Bulk-insert rows in chunks; with ids=True return the new ids in the order of rows."""
    table = model.__table__
    new_ids: list[int] = []
    stmt = sa.insert(table)
    if ids:
        stmt = stmt.returning(table.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), CHUNK):
        result = db.session.execute(stmt, list(rows[start : start + CHUNK]))
        if ids:
            new_ids.extend(result.scalars().all())
    return new_ids


def _at(d: date, hour: int = 9) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


class _Generator:
    """One run of the generator: the sizes, the random source and the ids made so far."""

    def __init__(self, plans: int, rng: random.Random, as_of: date):
        self.rng = rng
        self.as_of = as_of
        self.now = datetime.now(UTC)
        self.n_plans = plans
        self.n_objectives = max(1, round(plans * OBJECTIVES_PER_PLAN))
        self.n_indicators = max(2, round(plans * INDICATORS_PER_PLAN))
        self.n_check_ins = plans * CHECK_INS_PER_PLAN
        self.n_users = max(MIN_USERS, round(plans * USERS_PER_PLAN))
        self.counts: dict[str, int] = {}

    def stamps(self, when: datetime | None = None) -> dict:
        """Created (and last updated) at when; by default when the data set's story begins,
        so that a past day (?as_of=) shows it as it stood then (DESIGN §7)."""
        when = when or self.began
        return {"created_at": when, "updated_at": when}

    @property
    def began(self) -> datetime:
        """The first day of the data set's history: before any plan started."""
        return _at(self.as_of - timedelta(days=HISTORY_DAYS))

    def run(self) -> dict[str, int]:
        self.organization()
        self.departments_and_users()
        self.strategies()
        self.objectives()
        self.plans()
        self.check_ins()
        self.dependencies()
        self.indicators()
        self.measurements()
        self.audit()
        db.session.commit()
        return self.counts

    # --- the organization, departments and people --------------------------------------

    def organization(self) -> None:
        if _count(Organization):  # keep the one the installation already has
            self.counts["organizations"] = 0
            return
        row = {
            "name": "Bench Distribution Ltd",
            "vision": "Be the distributor our customers would recommend first.",
            "mission": "Deliver complete, on-time orders and answer every question the same day.",
            **self.stamps(),
        }
        self.counts["organizations"] = len(_insert(Organization, [row], ids=True))

    def departments_and_users(self) -> None:
        rows = [
            {
                "name": name,
                "slug": slug,
                "service_role": role,
                "lead_id": None,
                "colour": colour,
                "position": i,
                "archived_at": None,
                **self.stamps(),
            }
            for i, (name, slug, colour, role) in enumerate(DEPARTMENTS)
        ]
        self.department_ids = _insert(Department, rows, ids=True)
        self.counts["departments"] = len(rows)

        password_hash = hash_password(BENCH_PASSWORD)
        people: list[tuple[str, str, str, int | None]] = [  # email, name, role, department
            (BENCH_EMAIL, "Bench CEO", "executive", None),
            (f"exec2@{BENCH_DOMAIN}", "Bench Executive 2", "executive", None),
            (f"exec3@{BENCH_DOMAIN}", "Bench Executive 3", "executive", None),
        ]
        for (name, slug, _colour, _role), dept_id in zip(
            DEPARTMENTS, self.department_ids, strict=True
        ):
            people.append((f"{slug}.lead@{BENCH_DOMAIN}", f"{name} Lead", "lead", dept_id))
        n_viewers = max(1, self.n_users // 10)
        n_members = self.n_users - len(people) - n_viewers
        for k in range(1, n_members + 1):
            dept_id = self.department_ids[(k - 1) % len(self.department_ids)]
            people.append((f"member{k}@{BENCH_DOMAIN}", f"Bench Member {k}", "member", dept_id))
        for k in range(1, n_viewers + 1):
            people.append((f"viewer{k}@{BENCH_DOMAIN}", f"Bench Viewer {k}", "viewer", None))
        rows = [
            {
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "role": role,
                "department_id": dept_id,
                "active": True,
                "failed_logins": 0,
                "locked_until": None,
                "last_login_at": None,
                **self.stamps(),
            }
            for email, name, role, dept_id in people
        ]
        user_ids = _insert(User, rows, ids=True)
        self.counts["users"] = len(rows)
        self.executive_ids = [
            u for u, p in zip(user_ids, people, strict=True) if p[2] == "executive"
        ]
        # People of each department (its lead first), to own its plans and write check-ins.
        self.staff: dict[int, list[int]] = {d: [] for d in self.department_ids}
        for user_id, (_e, _n, role, dept_id) in zip(user_ids, people, strict=True):
            if role in ("lead", "member"):
                self.staff[dept_id].append(user_id)
        table = Department.__table__
        for dept_id in self.department_ids:
            db.session.execute(
                sa.update(table).where(table.c.id == dept_id).values(lead_id=self.staff[dept_id][0])
            )

    # --- the cascade: strategies, objectives, plans ---------------------------------------

    def strategies(self) -> None:
        rows = [
            {
                "title": title,
                "description": description,
                "owner_id": self.executive_ids[0],
                "status": "active",
                "position": i,
                "archived_at": None,
                **self.stamps(),
            }
            for i, (title, description) in enumerate(COMPANY_STRATEGIES)
        ]
        company_ids = _insert(CompanyStrategy, rows, ids=True)
        self.counts["company_strategies"] = len(rows)

        start = date(self.as_of.year, 1, 1)
        rows = [
            {
                "title": title,
                "statement": statement,
                "owner_id": self.executive_ids[i % len(self.executive_ids)],
                "period_start": start,
                "period_end": date(start.year + 2, 12, 31),
                "status": "active",
                "archived_at": None,
                **self.stamps(),
            }
            for i, (title, statement, _links) in enumerate(SERVICE_STRATEGIES)
        ]
        self.service_ids = _insert(ServiceStrategy, rows, ids=True)
        self.counts["service_strategies"] = len(rows)

        links = [
            {
                "service_strategy_id": service_id,
                "company_strategy_id": company_ids[index],
                "fit": fit,
                "rationale": rationale,
                **self.stamps(),
            }
            for service_id, (_t, _s, service_links) in zip(
                self.service_ids, SERVICE_STRATEGIES, strict=True
            )
            for index, fit, rationale in service_links
        ]
        _insert(StrategyLink, links)
        self.counts["strategy_links"] = len(links)

    def objectives(self) -> None:
        rng, rows = self.rng, []
        for k in range(self.n_objectives):
            start = self.as_of - timedelta(days=rng.randint(60, 400))
            rows.append(
                {
                    "service_strategy_id": self.service_ids[k % len(self.service_ids)],
                    "title": f"{OBJECTIVE_THEMES[k % len(OBJECTIVE_THEMES)]} #{k + 1}",
                    "description": "Generated for the benchmark.",
                    "owner_id": rng.choice(self.executive_ids),
                    "start_date": start,
                    "due_date": start + timedelta(days=rng.randint(180, 720)),
                    "tags": rng.sample(TAGS, rng.randint(0, 2)),
                    "archived_at": None,
                    **self.stamps(),
                }
            )
        self.objective_ids = _insert(Objective, rows, ids=True)
        self.counts["objectives"] = len(rows)

    def plans(self) -> None:
        rng = self.rng
        # How many check-ins each plan gets (they add up to exactly n_check_ins).
        self.check_in_counts = [0] * self.n_plans
        for _ in range(self.n_check_ins):
            self.check_in_counts[rng.randrange(self.n_plans)] += 1
        states, weights = zip(*PLAN_STATE_WEIGHTS, strict=True)
        rows = []
        for p in range(self.n_plans):
            dept_id = self.department_ids[rng.randrange(len(self.department_ids))]
            # (The first plan, the one a benchmark opens, is older than a quarter.)
            start = self.as_of - timedelta(days=rng.randint(120 if p == 0 else 20, 500))
            due = start + timedelta(days=rng.randint(60, 540))
            state = rng.choices(states, weights)[0] if self.check_in_counts[p] else "planned"
            progress = {
                "done": 100,
                "planned": 0,
                "in_progress": rng.randint(5, 95),
                "blocked": rng.randint(10, 70),
                "cancelled": rng.randint(0, 50),
            }[state]
            rows.append(
                {
                    "objective_id": self.objective_ids[p * self.n_objectives // self.n_plans],
                    "department_id": dept_id,
                    "title": f"{rng.choice(PLAN_VERBS)} {rng.choice(PLAN_OBJECTS)} #{p + 1}",
                    "description": "Generated for the benchmark.",
                    "owner_id": rng.choice(self.staff[dept_id]),
                    "start_date": start,
                    "due_date": due,
                    "state": state,
                    "progress_pct": progress,
                    "budget": Decimal(rng.randrange(0, 5_000_000)) / 100 if p % 3 else None,
                    "version": 1,
                    "archived_at": None,
                    **self.stamps(_at(start)),  # made the day it started
                }
            )
        self.plan_rows = rows
        self.plan_ids = _insert(ActionPlan, rows, ids=True)
        self.counts["action_plans"] = len(rows)

    def check_ins(self) -> None:
        rng, rows = self.rng, []
        for plan_id, plan, n in zip(
            self.plan_ids, self.plan_rows, self.check_in_counts, strict=True
        ):
            if not n:
                continue
            first = plan["start_date"]
            days = max(1, (min(self.as_of, plan["due_date"]) - first).days)
            offsets = sorted(rng.randrange(days) for _ in range(n))
            for k, offset in enumerate(offsets):
                last = k == n - 1
                progress = plan["progress_pct"] if last else plan["progress_pct"] * (k + 1) // n
                state = plan["state"] if last or plan["state"] == "planned" else "in_progress"
                when = _at(first + timedelta(days=offset), 8 + k % 10)
                rows.append(
                    {
                        "action_plan_id": plan_id,
                        "author_id": rng.choice(self.staff[plan["department_id"]]),
                        "state": state,
                        "progress_pct": progress,
                        "confidence": rng.randint(1, 5),
                        "text": f"Update {k + 1}: {state.replace('_', ' ')}, {progress}% done.",
                        **self.stamps(when),
                    }
                )
        _insert(CheckIn, rows)
        self.counts["check_ins"] = len(rows)
        self.plan_events(rows)

    def plan_events(self, check_ins: list[dict]) -> None:
        """Each check-in moved its plan's state and progress: the audit log records each move
        as the plan's update, at the check-in's time, so that the plans of a past day stand
        where they stood then (services.evaluation.history rewinds these events)."""
        last: dict[int, tuple[str, int]] = {}
        events = []
        for row in sorted(check_ins, key=lambda r: (r["created_at"], r["action_plan_id"])):
            plan_id = row["action_plan_id"]
            before = last.get(plan_id, ("planned", 0))
            after = (row["state"], row["progress_pct"])
            last[plan_id] = after
            changes = {
                name: [old, new]
                for name, old, new in zip(("state", "progress_pct"), before, after, strict=True)
                if old != new
            }
            if changes:
                events.append(
                    {
                        "user_id": row["author_id"],
                        "action": "update",
                        "entity_type": ActionPlan.__name__,
                        "entity_id": plan_id,
                        "changes": changes,
                        **self.stamps(row["created_at"]),
                    }
                )
        _insert(AuditEvent, events)

    def dependencies(self) -> None:
        rng, pairs = self.rng, set()
        wanted = self.n_plans // DEPENDENCY_EVERY
        while len(pairs) < wanted:
            a, b = rng.sample(self.plan_ids, 2)
            if (b, a) not in pairs:  # no two plans waiting for each other
                pairs.add((a, b))
        rows = [
            {"plan_id": a, "blocked_by_id": b, "note": "Waits for the other team.", **self.stamps()}
            for a, b in sorted(pairs)
        ]
        _insert(PlanDependency, rows)
        self.counts["plan_dependencies"] = len(rows)

    # --- expected and actual results ---------------------------------------------------

    def indicators(self) -> None:
        """Half on objectives (each objective gets at least one when there are enough), half
        on plans spread evenly; weekly measurements end this week, targets lie ahead."""
        rng, rows = self.rng, []
        on_objectives = self.n_indicators // 2
        on_plans = self.n_indicators - on_objectives
        self.specs: list[dict] = []
        for k in range(self.n_indicators):
            name, unit, direction, (low, high) = INDICATOR_KINDS[k % len(INDICATOR_KINDS)]
            baseline = round(rng.uniform(low, high), 1)
            if direction == "increase":
                target = round(baseline * rng.uniform(1.1, 1.5), 1)
            elif direction == "decrease":
                target = round(baseline * rng.uniform(0.5, 0.9), 1)
            else:
                target = baseline
            span = (MEASUREMENTS_PER_INDICATOR - 1) * 7
            baseline_date = self.as_of - timedelta(days=span + rng.randrange(7))
            target_date = self.as_of + timedelta(days=rng.randint(60, 540))
            if k < on_objectives:
                parents = {"objective_id": self.objective_ids[k % self.n_objectives]}
                parents["action_plan_id"] = None
            else:
                plan_index = (k - on_objectives) * self.n_plans // on_plans
                parents = {"objective_id": None, "action_plan_id": self.plan_ids[plan_index]}
            row = {
                **parents,
                "name": f"{name} #{k + 1}",
                "unit": unit,
                "direction": direction,
                "baseline_value": baseline,
                "baseline_date": baseline_date,
                "target_value": target,
                "target_date": target_date,
                "tolerance": rng.choice((0.05, 0.1, 0.1, 0.15)),
                "external_key": f"bench-{k + 1:06d}",
                "archived_at": None,
                **self.stamps(),
            }
            rows.append(row)
            self.specs.append(dict(row, pace=rng.choice(PACES)))
        self.indicator_ids = _insert(Indicator, rows, ids=True)
        self.counts["indicators"] = len(rows)

        milestones = []
        for k, (indicator_id, spec) in enumerate(zip(self.indicator_ids, self.specs, strict=True)):
            if k % MILESTONE_EVERY:
                continue
            b, t = spec["baseline_value"], spec["target_value"]
            first, days = spec["baseline_date"], (spec["target_date"] - spec["baseline_date"]).days
            for share in (0.25, 0.5, 0.75):
                milestones.append(
                    {
                        "indicator_id": indicator_id,
                        "date": first + timedelta(days=round(days * share)),
                        "expected_value": round(b + (t - b) * share**1.2, 2),
                        **self.stamps(),
                    }
                )
        _insert(Milestone, milestones)
        self.counts["milestones"] = len(milestones)

    def measurements(self) -> None:
        rng, rows = self.rng, []
        sources = ("api", "api", "import", "manual")
        for indicator_id, spec in zip(self.indicator_ids, self.specs, strict=True):
            b, t, pace = spec["baseline_value"], spec["target_value"], spec["pace"]
            first = spec["baseline_date"]
            total = (spec["target_date"] - first).days
            noise = 0.02 * (abs(t - b) or abs(t) * 0.5 or 1.0)
            source = rng.choice(sources)
            entered_by = rng.choice(self.executive_ids) if source == "manual" else None
            for w in range(MEASUREMENTS_PER_INDICATOR):
                d = first + timedelta(days=7 * w)
                if t == b:  # maintain: a slow drift away from the target when pace < 1
                    value = t - t * (1 - pace) * 0.3 * w / MEASUREMENTS_PER_INDICATOR
                else:
                    value = b + (t - b) * pace * (7 * w / total)
                value += rng.gauss(0, noise)
                rows.append(
                    {
                        "indicator_id": indicator_id,
                        "date": d,
                        "value": round(value, 2),
                        "note": "",
                        "source": source,
                        "entered_by_id": entered_by,
                        **self.stamps(_at(d)),
                    }
                )
        _insert(Measurement, rows)
        self.counts["measurements"] = len(rows)

    def audit(self) -> None:
        """One event for the whole data set (the bulk inserts bypass the audit hook)."""
        event = {
            "user_id": None,
            "action": "seed_bench",
            "entity_type": "Database",
            "entity_id": None,
            "changes": dict(self.counts),
            **self.stamps(self.now),
        }
        _insert(AuditEvent, [event])
        data_version.mark_changed(db.session)  # the commit writes a new token
