"""The printable report: its top (the organization and the company roll-up) and a section per
live department, built on metrics.overview in a fixed number of queries.

Each department's section is rendered once and kept per data version (data_version.Cache.
get_or_refresh): after a change, only the sections the change touched are rendered again,
and the top, which is small, afresh. The result is the same, byte for byte, as a fresh render.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from strategy_app.exports import figures as report_figures
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Department,
    Indicator,
    Objective,
    Organization,
    ServiceStrategy,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import data_version, numbers


@dataclass(frozen=True)
class IndicatorLine:
    """A plan's indicator with its figures at the report's date."""

    id: int
    name: str
    unit: str
    plan: ActionPlan
    result: rules.IndicatorResult
    decimals: int | None = None  # its display precision


# A section lists at most this many plans and indicators, those that most need the room's
# attention first; the exports and the department's page hold the rest. So a report reads
# in a meeting and costs the same at 500 plans as at 5,000.
MOST_LISTED = 30


@dataclass
class Section:
    """One department: its scorecard, its plans by objective, its plans' indicators."""

    department: Department
    scorecard: rules.Scorecard
    groups: list[tuple[Objective, list[ActionPlan]]] = field(default_factory=list)
    overdue: set[int] = field(default_factory=set)
    indicators: list[IndicatorLine] = field(default_factory=list)
    plans_total: int = 0  # the plans under live objectives, listed or not
    indicators_total: int = 0

    @property
    def plans_listed(self) -> int:
        return sum(len(plans) for _, plans in self.groups)


_STATE_ORDER = {"blocked": 0, "in_progress": 1, "planned": 2, "done": 3, "cancelled": 4}
_WORST_FIRST = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


def _attention_first(facts: rules.PlanFacts, as_of: date) -> tuple:
    """Overdue plans first, then blocked, then by due date (none last), then in id order."""
    overdue = rules.plan_overdue(facts.due_date, facts.state, as_of)
    due = facts.due_date or date.max
    return (not overdue, _STATE_ORDER.get(facts.state, 5), due, facts.id)


def _sections(
    as_of: date, figures: metrics.Overview, departments: list[Department], most: int
) -> tuple[list[Section], dict[int, Indicator]]:
    """The sections of these departments (and the rows of the indicators they list), from the
    cascade's figures: three queries, however many departments and plans."""
    sections = {
        d.id: Section(department=d, scorecard=figures.scorecards[d.id]) for d in departments
    }
    facts_by_department: dict[int, list[rules.PlanFacts]] = defaultdict(list)
    # The indicators of cancelled plans count nowhere (§3), so they are not listed either.
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)  # (indicator id, plan id)
    for part in figures.parts.values():
        ids = iter(part.plan_indicator_ids)  # the plans' indicators, in the plans' order
        for facts, results in part.pairs:
            mine = list(islice(ids, len(results)))
            if facts.department_id not in sections:
                continue
            facts_by_department[facts.department_id].append(facts)
            if facts.state != "cancelled":
                lines[facts.department_id].extend((iid, facts.id) for iid in mine)
    chosen: set[int] = set()
    for department_id, all_facts in facts_by_department.items():
        sections[department_id].plans_total = len(all_facts)
        ranked = sorted(all_facts, key=lambda f: _attention_first(f, as_of))
        chosen.update(f.id for f in ranked[:most])
    wanted: dict[int, list[tuple[int, int]]] = {}
    for department_id, found in lines.items():
        sections[department_id].indicators_total = len(found)
        found.sort(key=lambda line: (_WORST_FIRST[figures.results[line[0]].status], line[0]))
        wanted[department_id] = found[:most]

    listed_ids = [iid for found in wanted.values() for iid, _plan in found]
    indicators = _by_id(Indicator, listed_ids)
    needed = chosen | {plan_id for found in wanted.values() for _iid, plan_id in found}
    loaded = _by_id(ActionPlan, needed)
    listed = [loaded[pid] for pid in sorted(chosen)]
    objectives = _by_id(Objective, {p.objective_id for p in listed})
    for objective_id in sorted(objectives, key=lambda oid: (figures.objective_service[oid], oid)):
        groups: dict[int, list[ActionPlan]] = defaultdict(list)
        for plan in (p for p in listed if p.objective_id == objective_id):
            groups[plan.department_id].append(plan)
        for department_id, mine in groups.items():
            section = sections[department_id]
            section.groups.append((objectives[objective_id], mine))
            section.overdue.update(
                p.id for p in mine if rules.plan_overdue(p.due_date, p.state, as_of)
            )
    for department_id, found in wanted.items():
        for iid, plan_id in found:
            i, result = indicators[iid], figures.results[iid]
            decimals = numbers.decimals_of(i)
            sections[department_id].indicators.append(
                IndicatorLine(iid, i.name, i.unit, loaded[plan_id], result, decimals)
            )
    return [sections[d.id] for d in departments], indicators


def _by_id(model, ids) -> dict:
    """The rows of model with these ids, by id (one query; none without ids)."""
    ids = set(ids)
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


@dataclass(frozen=True)
class Rendered:
    """One department's section as HTML, with what the summary and a later refresh need."""

    html: Markup
    results: float | None  # mean progress of the indicators it lists (the summary's chart)
    objectives: frozenset[int]  # the objectives whose title and status it shows
    plans: frozenset[int]  # the plans it names
    indicators: frozenset[int]  # the indicators it lists and charts


@dataclass(frozen=True)
class Kept:
    """The rendered sections by department id, and the cascade's figures they were made from."""

    figures: metrics.Overview
    sections: dict[int, Rendered]


def _render(
    as_of: date, now: date, figures: metrics.Overview, departments: list[Department]
) -> dict[int, Rendered]:
    """These departments' sections, rendered (a fixed number of queries)."""
    if not departments:
        return {}
    sections, indicators = _sections(as_of, figures, departments, MOST_LISTED)
    drawn = report_figures.by_department(sections, indicators, as_of, now)
    rendered = {}
    for s in sections:
        figure, charted = drawn.get(s.department.id, (None, 0))
        html = render_template(
            "exports/_report_section.html",
            s=s,
            as_of=as_of,
            rollups=figures.rollups,
            figure=figure,
            charted=charted,
        )
        rendered[s.department.id] = Rendered(
            html=Markup(html),  # noqa: S704  (an autoescaping template's output)
            results=rules.mean(line.result.progress for line in s.indicators),
            objectives=frozenset(objective.id for objective, _plans in s.groups),
            plans=frozenset(
                {p.id for _o, plans in s.groups for p in plans}
                | {line.plan.id for line in s.indicators}
            ),
            indicators=frozenset(line.id for line in s.indicators),
        )
    return rendered


def _by_department(part) -> dict[int, list]:
    """A part of the overview's plans (with their indicators' results) by department."""
    found: dict[int, list] = defaultdict(list)
    for pair in part.pairs if part is not None else ():
        found[pair[0].department_id].append(pair)
    return found


def _stale(old: Kept, figures: metrics.Overview, touched: data_version.Touched) -> set[int]:
    """The departments whose section the changes since old may have changed: those whose
    plans (or their indicators' results, or their scorecard) moved, that name a plan changed,
    or that show an objective or an indicator changed (or an objective whose status moved)."""
    plans = touched.of("ActionPlan")
    indicators = touched.of("Indicator") | touched.ref("indicator_id")
    objectives = touched.of("Objective")
    stale: set[int] = set()
    before, after = old.figures.parts, figures.parts
    for oid in before.keys() | after.keys():
        was, now = before.get(oid), after.get(oid)
        if was is now:
            continue  # not computed again: nothing under it changed
        was_by, now_by = _by_department(was), _by_department(now)
        for department_id in was_by.keys() | now_by.keys():
            if was_by.get(department_id) != now_by.get(department_id):
                stale.add(department_id)
        for part in (was, now):
            for facts, _results in part.pairs if part is not None else ():
                if facts.id in plans:
                    stale.add(facts.department_id)
    for department_id, card in figures.scorecards.items():
        if old.figures.scorecards.get(department_id) != card:
            stale.add(department_id)
    for department_id, section in old.sections.items():
        named = section.objectives & objectives or section.plans & plans
        shown = named, section.indicators & indicators
        moved = (_shown_moved(old.figures, figures, oid) for oid in section.objectives)
        if any(shown) or any(moved):
            stale.add(department_id)
    return stale


def _shown_moved(old: metrics.Overview, new: metrics.Overview, objective_id: int) -> bool:
    """Whether what a section shows of an objective (its status, its place) moved."""
    was, now = old.rollups.get(objective_id), new.rollups.get(objective_id)
    if was is None or now is None or was.status != now.status:
        return True
    return old.objective_service.get(objective_id) != new.objective_service.get(objective_id)


def _kept(as_of: date, now: date, figures: metrics.Overview, departments: list[Department]):
    """The departments' sections, kept per data version: after a change, only the sections
    it touched are rendered again (a wide change, or one no longer known, renders all)."""

    def compute() -> Kept:
        return Kept(figures, _render(as_of, now, figures, departments))

    def refresh(old: Kept, touched: data_version.Touched) -> Kept:
        redo = _stale(old, figures, touched)
        redo.update(d.id for d in departments if d.id not in old.sections)
        sections = {d.id: old.sections[d.id] for d in departments if d.id not in redo}
        sections.update(_render(as_of, now, figures, [d for d in departments if d.id in redo]))
        return Kept(figures, sections)

    return data_version.cache().get_or_refresh(("report-sections", as_of, now), compute, refresh)


def render(as_of: date, now: date, printing: bool) -> Markup:
    """The report's body: the top (the organization and the company roll-up, small, rendered
    afresh) and each live department's section in position order (kept, see _kept)."""
    org = db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))
    services = db.session.scalars(
        sa.select(ServiceStrategy)
        .where(ServiceStrategy.archived_at.is_(None))
        .order_by(ServiceStrategy.id)
    ).all()
    figures = metrics.overview(as_of)
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    kept = _kept(as_of, now, figures, departments)
    sections = [kept.sections[d.id] for d in departments]
    by_service = []
    for service in services:
        ids = [oid for oid, sid in figures.objective_service.items() if sid == service.id]
        by_service.append((service, figures.status_counts(ids)))
    summary = Summary(
        counts=figures.status_counts(),
        by_service=by_service,
        departments=[(d, figures.scorecards[d.id]) for d in departments],
    )
    chart = report_figures.departments(
        [(d, figures.scorecards[d.id], kept.sections[d.id].results) for d in departments]
    )
    top = render_template(
        "exports/_report_top.html",
        org=org,
        as_of=as_of,
        today=now,
        printing=printing,
        summary=summary,
        figures=chart,
    )
    return Markup(  # noqa: S704  (autoescaping templates' output)
        render_template(
            "exports/_report_body.html",
            top=Markup(top),  # noqa: S704
            sections=[s.html for s in sections],
            charts=report_figures.charts is not None,
        )
    )


@dataclass(frozen=True)
class Summary:
    """The report's summary: objectives by status (all, and by service strategy), and each
    department's scorecard."""

    counts: dict[str, int]
    by_service: list[tuple[ServiceStrategy, dict[str, int]]]
    departments: list[tuple[Department, rules.Scorecard]]
