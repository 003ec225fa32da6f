"""Build test data through the models (real database, real constraints)."""

from __future__ import annotations

import itertools
from datetime import date

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Milestone,
    Objective,
    Organization,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.services.writes.users import hash_password

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def department(slug: str | None = None, **kw) -> Department:
    slug = slug or f"dept-{_n()}"
    d = Department(name=kw.pop("name", slug.title()), slug=slug, **kw)
    db.session.add(d)
    db.session.flush()
    return d


def user(role: str = "executive", department: Department | None = None, **kw) -> User:
    if role in ("lead", "member") and department is None:
        department = globals()["department"]()
    n = _n()
    u = User(
        email=kw.pop("email", f"user{n}@example.test"),
        name=kw.pop("name", f"User {n}"),
        role=role,
        department=department,
        password_hash=hash_password(PASSWORD),
        **kw,
    )
    db.session.add(u)
    db.session.flush()
    return u


def organization(**kw) -> Organization:
    o = Organization(
        name=kw.pop("name", "Acme Distribution"), vision=kw.pop("vision", "Be #1"), **kw
    )
    db.session.add(o)
    db.session.flush()
    return o


def company_strategy(**kw) -> CompanyStrategy:
    s = CompanyStrategy(title=kw.pop("title", f"Company strategy {_n()}"), **kw)
    db.session.add(s)
    db.session.flush()
    return s


def service_strategy(links: list[tuple[CompanyStrategy, str]] = (), **kw) -> ServiceStrategy:
    s = ServiceStrategy(title=kw.pop("title", f"Service strategy {_n()}"), **kw)
    db.session.add(s)
    db.session.flush()
    for cs, fit in links:
        db.session.add(StrategyLink(service_strategy=s, company_strategy=cs, fit=fit))
    db.session.flush()
    return s


def objective(service: ServiceStrategy | None = None, **kw) -> Objective:
    o = Objective(
        service_strategy=service or service_strategy(),
        title=kw.pop("title", f"Objective {_n()}"),
        **kw,
    )
    db.session.add(o)
    db.session.flush()
    return o


def plan(
    objective_: Objective | None = None, department_: Department | None = None, **kw
) -> ActionPlan:
    p = ActionPlan(
        objective=objective_ or objective(),
        department=department_ or department(),
        title=kw.pop("title", f"Plan {_n()}"),
        **kw,
    )
    db.session.add(p)
    db.session.flush()
    return p


def indicator(
    parent: Objective | ActionPlan | None = None, milestones=(), actuals=(), **kw
) -> Indicator:
    """An indicator (increase 0 → 100 over 2026 by default) with milestones and actuals."""
    defaults = {
        "name": f"Indicator {_n()}",
        "direction": "increase",
        "baseline_value": 0.0,
        "baseline_date": date(2026, 1, 1),
        "target_value": 100.0,
        "target_date": date(2026, 12, 31),
        "tolerance": 0.1,
    }
    defaults.update(kw)
    parent = parent or objective()
    key = "objective" if isinstance(parent, Objective) else "action_plan"
    i = Indicator(**{key: parent}, **defaults)
    i.milestones = [Milestone(date=d, expected_value=v) for d, v in milestones]
    db.session.add(i)
    db.session.flush()
    for d, v in actuals:
        db.session.add(Measurement(indicator=i, date=d, value=v))
    db.session.flush()
    return i
