"""Find anything (DESIGN §7): objectives, plans, indicators, strategies, people and check-ins
whose words hold the query, each with its status; one query per kind, a bounded number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    CompanyStrategy,
    Indicator,
    Objective,
    ServiceStrategy,
    User,
)
from strategy_app.services.evaluation import history, metrics, rules

MAX_QUERY = 200  # characters
TRIGRAM = 3  # characters: the shortest words the search index holds
PER_KIND = 10  # hits shown of each kind (one more is read, to say there are more)
KINDS = ("objective", "plan", "indicator", "strategy", "person", "check_in")
STATE_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
    "cancelled": "Cancelled",
}
STATUS_LABELS = {
    rules.ON_TRACK: "On track",
    rules.AT_RISK: "At risk",
    rules.OFF_TRACK: "Off track",
    rules.NO_DATA: "No data",
}
ROLE_LABELS = {
    "executive": "Executive",
    "lead": "Department lead",
    "member": "Member",
    "viewer": "Viewer",
}


@dataclass(frozen=True)
class Hit:
    """One thing found: what it is, its id (the page builds the link), its status."""

    kind: str  # one of KINDS; a strategy's id is "company:N" or "service:N"
    id: int
    title: str
    detail: str
    status: str  # a rules status (a badge), or "" when status_text says it in words
    status_text: str
    archived: bool
    sub: str = ""  # "company" or "service" for a strategy


@dataclass
class Results:
    query: str
    hits: dict[str, list[Hit]]
    more: dict[str, bool]

    @property
    def total(self) -> int:
        return sum(len(h) for h in self.hits.values())


def _like(column, words: str):
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(column).like(f"%{escaped}%", escape="\\")


def _holds(model, columns: tuple, words: str):
    """Rows of model with words in one of columns: case-insensitive substring matching.

    The database keeps an index of these words (migration c17search01). PostgreSQL's trigram
    indexes serve the LIKE below as it is. SQLite's FTS5 trigram table answers a quoted
    phrase, which is the same substring match, for words of three characters or more (a
    trigram needs three); shorter words scan, as they always did.
    """
    like = sa.or_(*(_like(column, words) for column in columns))
    if len(words) < TRIGRAM or db.session.get_bind().dialect.name != "sqlite":
        return like
    index = sa.table(f"search_ix_{model.__tablename__}", sa.column("rowid"))
    phrase = '"' + words.replace('"', '""') + '"'  # a phrase: no operator inside is read
    found = model.id.in_(
        sa.select(index.c.rowid).where(sa.literal_column(index.name).match(phrase))
    )
    touched = history.rebuilt_rows(model.__tablename__)
    if touched is None:  # today, or a past day whose rows of model are all as they are now
        return found
    # A past day: the index holds today's words, right for every row untouched since; the
    # rows changed since are read as they were, through the LIKE.
    rebuilt = sa.table(touched, sa.column("id"))
    return sa.and_(sa.or_(found, model.id.in_(sa.select(rebuilt.c.id))), like)


def _first(query, limit: int):
    return list(db.session.execute(query.limit(limit + 1)))


def _cut(rows: list, limit: int) -> tuple[list, bool]:
    return rows[:limit], len(rows) > limit


def search(words: str, as_of: date, limit: int = PER_KIND) -> Results:
    """Everything whose title, name or text holds words (case-insensitive), live first."""
    words = words.strip()[:MAX_QUERY]
    hits: dict[str, list[Hit]] = {k: [] for k in KINDS}
    more = dict.fromkeys(KINDS, False)
    if not words:
        return Results(words, hits, more)
    figures = metrics.overview(as_of)  # cached under the data version: one query at most

    rows, more["objective"] = _cut(
        _first(
            sa.select(Objective.id, Objective.title, Objective.archived_at, ServiceStrategy.title)
            .join(Objective.service_strategy)
            .where(_holds(Objective, (Objective.title, Objective.description), words))
            .order_by(Objective.archived_at.is_not(None), Objective.title, Objective.id),
            limit,
        ),
        limit,
    )
    for oid, title, archived_at, service in rows:
        rollup = figures.rollups.get(oid)
        status = rollup.status if rollup and archived_at is None else ""
        hits["objective"].append(
            Hit(
                "objective",
                oid,
                title,
                f"Objective under “{service}”",
                status,
                STATUS_LABELS.get(status, "Archived" if archived_at else "—"),
                archived_at is not None,
            )
        )

    rows, more["plan"] = _cut(
        _first(
            sa.select(
                ActionPlan.id,
                ActionPlan.title,
                ActionPlan.archived_at,
                ActionPlan.state,
                ActionPlan.due_date,
                Objective.title,
            )
            .join(ActionPlan.objective)
            .where(_holds(ActionPlan, (ActionPlan.title, ActionPlan.description), words))
            .order_by(ActionPlan.archived_at.is_not(None), ActionPlan.title, ActionPlan.id),
            limit,
        ),
        limit,
    )
    for pid, title, archived_at, state, due, objective in rows:
        text = STATE_LABELS.get(state, state)
        if rules.plan_overdue(due, state, as_of):
            text += ", overdue"
        hits["plan"].append(
            Hit("plan", pid, title, f"Action plan for “{objective}”", "", text, bool(archived_at))
        )

    rows, more["indicator"] = _cut(
        _first(
            sa.select(Indicator.id, Indicator.name, Indicator.archived_at, Indicator.unit)
            .where(_holds(Indicator, (Indicator.name, Indicator.external_key), words))
            .order_by(Indicator.archived_at.is_not(None), Indicator.name, Indicator.id),
            limit,
        ),
        limit,
    )
    for iid, name, archived_at, unit in rows:
        result = figures.results.get(iid)
        status = result.status if result and archived_at is None else ""
        counted = status or ("Archived" if archived_at else "Not counted (its plan is closed)")
        hits["indicator"].append(
            Hit(
                "indicator",
                iid,
                name,
                "Indicator" + (f" in {unit}" if unit else ""),
                status,
                STATUS_LABELS.get(status, counted),
                archived_at is not None,
            )
        )

    found: list[Hit] = []
    for model, sub, text_col in (
        (CompanyStrategy, "company", CompanyStrategy.description),
        (ServiceStrategy, "service", ServiceStrategy.statement),
    ):
        rows = _first(
            sa.select(model.id, model.title, model.archived_at, model.status)
            .where(sa.or_(_like(model.title, words), _like(text_col, words)))
            .order_by(model.archived_at.is_not(None), model.title, model.id),
            limit,
        )
        what = "Company strategy" if sub == "company" else "Customer-service strategy"
        for sid, title, archived_at, status in rows:
            shown = "Archived" if archived_at else status.capitalize()
            found.append(Hit("strategy", sid, title, what, "", shown, bool(archived_at), sub))
    found.sort(key=lambda h: (h.archived, h.title.lower()))
    hits["strategy"], more["strategy"] = _cut(found, limit)

    rows, more["person"] = _cut(
        _first(
            sa.select(User.id, User.name, User.email, User.role, User.active)
            .where(sa.or_(_like(User.name, words), _like(User.email, words)))
            .order_by(User.active.is_(False), User.name, User.id),
            limit,
        ),
        limit,
    )
    for uid, name, email, role, active in rows:
        status = ROLE_LABELS.get(role, role) + ("" if active else ", deactivated")
        hits["person"].append(Hit("person", uid, name, email, "", status, not active))

    rows, more["check_in"] = _cut(
        _first(
            sa.select(
                CheckIn.id,
                CheckIn.text,
                CheckIn.state,
                CheckIn.progress_pct,
                CheckIn.created_at,
                ActionPlan.id,
                ActionPlan.title,
            )
            .join(CheckIn.action_plan)
            .where(_holds(CheckIn, (CheckIn.text,), words))
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()),
            limit,
        ),
        limit,
    )
    for _cid, text, state, pct, created, plan_id, plan_title in rows:
        when = created.date().isoformat() if created else ""
        hits["check_in"].append(
            Hit(
                "check_in",
                plan_id,
                text if len(text) <= 160 else text[:157] + "…",
                f"Check-in on “{plan_title}”, {when}",
                "",
                f"{STATE_LABELS.get(state, state)}, {pct}%",
                False,
            )
        )
    return Results(words, hits, more)
