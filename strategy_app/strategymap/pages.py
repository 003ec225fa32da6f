"""The strategy map's nodes, from plain rows and metrics.overview (a fixed number of queries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Indicator,
    Objective,
    Organization,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.services.evaluation import metrics, rules

# Past this many nodes the map leaves out the plans, then the objectives: a sunburst of
# thousands of slivers says nothing, and the page would carry megabytes.
MAX_NODES = 1500
FULL_DEPTH_NODES = 40  # up to this many nodes every ring is drawn; beyond, four at once


@dataclass
class StrategyMap:
    """The map's nodes, its table rows and what was left out."""

    as_of: date
    nodes: list[charts.MapNode]
    rows: list[list[str]]
    depth: str  # "plans", "objectives" or "services": the deepest level drawn

    @property
    def figure(self) -> dict:
        """The sunburst."""
        maxdepth = -1 if len(self.nodes) <= FULL_DEPTH_NODES else 4
        return charts.strategy_map(self.nodes, maxdepth=maxdepth)


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def build(as_of: date, service_id: int | None = None) -> StrategyMap:
    """The live cascade as map nodes, evaluated at as_of (one service strategy, or all)."""
    figures = metrics.overview(as_of)
    org = db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))
    company = db.session.execute(
        sa.select(CompanyStrategy.id, CompanyStrategy.title)
        .where(CompanyStrategy.archived_at.is_(None))
        .order_by(CompanyStrategy.position, CompanyStrategy.id)
    ).all()
    services = db.session.execute(
        sa.select(ServiceStrategy.id, ServiceStrategy.title)
        .where(ServiceStrategy.archived_at.is_(None))
        .where(sa.true() if service_id is None else ServiceStrategy.id == service_id)
        .order_by(ServiceStrategy.id)
    ).all()
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for link in db.session.execute(
        sa.select(
            StrategyLink.service_strategy_id, StrategyLink.company_strategy_id, StrategyLink.fit
        ).order_by(StrategyLink.id)
    ):
        links[link.company_strategy_id].append((link.service_strategy_id, link.fit))
    objectives = defaultdict(list)
    for o in db.session.execute(
        sa.select(Objective.id, Objective.title, Objective.service_strategy_id).order_by(
            Objective.id
        )
    ):
        if o.id in figures.rollups:
            objectives[o.service_strategy_id].append(o)
    plan_counts = dict(
        db.session.execute(
            sa.select(ActionPlan.objective_id, sa.func.count(ActionPlan.id))
            .where(ActionPlan.archived_at.is_(None))
            .group_by(ActionPlan.objective_id)
        ).all()
    )
    rows = _Rows(figures, company, services, links, objectives, plan_counts)
    return rows.assemble(as_of, org, filtered=service_id is not None)


def _plans(figures: metrics.Overview) -> tuple[dict[int, list], dict[int, list[str]]]:
    """Live plans by objective, and their indicators' statuses (two queries)."""
    plans = defaultdict(list)
    for p in db.session.execute(
        sa.select(ActionPlan.id, ActionPlan.title, ActionPlan.objective_id, ActionPlan.state)
        .where(ActionPlan.archived_at.is_(None))
        .order_by(ActionPlan.id)
    ):
        if p.objective_id in figures.rollups:
            plans[p.objective_id].append(p)
    statuses: dict[int, list[str]] = defaultdict(list)
    for i in db.session.execute(
        sa.select(Indicator.id, Indicator.action_plan_id).where(
            Indicator.action_plan_id.is_not(None), Indicator.archived_at.is_(None)
        )
    ):
        if i.id in figures.results:
            statuses[i.action_plan_id].append(figures.results[i.id].status)
    return plans, statuses


@dataclass
class _Rows:
    """What build() loaded, and how it becomes nodes and table rows."""

    figures: metrics.Overview
    company: list
    services: list
    links: dict[int, list[tuple[int, str]]]
    objectives: dict[int, list]
    plan_counts: dict[int, int]
    plans: dict[int, list] = field(default_factory=dict)
    plan_results: dict[int, list[str]] = field(default_factory=dict)

    def service_status(self, sid: int) -> str:
        return rules.worst_status(self.figures.rollups[o.id].status for o in self.objectives[sid])

    def plan_status(self, plan) -> str:
        if plan.state == "cancelled":  # left out of every computation (DESIGN §3)
            return rules.NO_DATA
        return rules.worst_status(self.plan_results[plan.id])

    def assemble(self, as_of: date, org, *, filtered: bool) -> StrategyMap:
        shown = {s.id: s for s in self.services}
        titles = {c.id: c.title for c in self.company}
        # Where each service strategy appears: under every company strategy it is linked to.
        places: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
        for c in self.company:
            for sid, fit in self.links[c.id]:
                if sid in shown:
                    places[sid].append((f"c{c.id}", fit))
        for sid in shown:
            places[sid] = places[sid] or [("vision", None)]
        depth = self._depth(places)
        if depth == "plans":  # only then are the plans themselves needed
            self.plans, self.plan_results = _plans(self.figures)
        statuses = {sid: self.service_status(sid) for sid in shown}
        nodes = [
            charts.MapNode(
                "vision",
                "",
                org.name if org else "Vision",
                "vision",
                rules.worst_status(statuses.values()),
                detail=_short(org.vision) if org and org.vision else "No vision written yet.",
            )
        ]
        for c in self.company:
            linked = [(sid, fit) for sid, fit in self.links[c.id] if sid in shown]
            if filtered and not linked:
                continue
            status = rules.worst_status(statuses[sid] for sid, fit in linked if fit != "conflicts")
            detail = "" if linked else "No service strategy is linked to it."
            nodes.append(
                charts.MapNode(f"c{c.id}", "vision", c.title, "company", status, None, detail)
            )
        for sid, s in shown.items():
            for parent, fit in places[sid]:
                node_id = f"{parent}/s{sid}" if parent != "vision" else f"s{sid}"
                detail = f"{len(self.objectives[sid])} objectives"
                if not fit:
                    detail += "; not linked to any company strategy"
                note = "" if fit else " (not linked)"
                nodes.append(
                    charts.MapNode(
                        node_id, parent, s.title, "service", statuses[sid], fit, detail, note
                    )
                )
                if depth != "services":
                    nodes.extend(self._objective_nodes(sid, node_id, with_plans=depth == "plans"))
        rows = []
        for sid, s in shown.items():
            fits = (
                "; ".join(
                    f"{charts.FIT_LABELS[fit]} {titles[c]}"
                    for c, pairs in self.links.items()
                    if c in titles
                    for other, fit in pairs
                    if other == sid
                )
                or "not linked"
            )
            for o in self.objectives[sid]:
                status = self.figures.rollups[o.id].status
                rows.append(
                    [
                        s.title,
                        fits,
                        o.title,
                        charts.status_text(status),
                        self.plan_counts.get(o.id, 0),
                    ]
                )
            if not self.objectives[sid]:
                rows.append([s.title, fits, "—", charts.status_text(statuses[sid]), 0])
        return StrategyMap(as_of, nodes, rows, depth)

    def _depth(self, places: dict[int, list]) -> str:
        """The deepest level that keeps the map within MAX_NODES."""
        base = 1 + len(self.company) + sum(len(p) for p in places.values())
        objectives = sum(len(p) * len(self.objectives[sid]) for sid, p in places.items())
        plans = sum(
            len(p) * sum(self.plan_counts.get(o.id, 0) for o in self.objectives[sid])
            for sid, p in places.items()
        )
        if base + objectives + plans <= MAX_NODES:
            return "plans"
        return "objectives" if base + objectives <= MAX_NODES else "services"

    def _objective_nodes(self, sid: int, parent: str, *, with_plans: bool):
        for o in self.objectives[sid]:
            rollup = self.figures.rollups[o.id]
            node_id = f"{parent}/o{o.id}"
            detail = (
                f"results {charts.pct_text(rollup.results)}"
                f" · execution {charts.pct_text(rollup.execution)}"
                f" · {self.plan_counts.get(o.id, 0)} plans"
            )
            yield charts.MapNode(node_id, parent, o.title, "objective", rollup.status, None, detail)
            if with_plans:
                for p in self.plans[o.id]:
                    state = charts.PLAN_STATE_LABELS.get(p.state, p.state)
                    yield charts.MapNode(
                        f"{node_id}/p{p.id}",
                        node_id,
                        p.title,
                        "plan",
                        self.plan_status(p),
                        None,
                        state,
                    )
