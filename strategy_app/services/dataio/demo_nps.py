"""The demo's customer voice, on top of demo.py's monthly survey: more answers from the three
segments (a few hundred over six months), follow-ups in every state with when each loop
closed, the NPS indicator fed by the monthly NPS, and objectives linked to their evidence.

The story: large chains warm up as delivery slots get confirmed; independent stores stay
cool (their fixed weekly runs have not started); wholesalers are steady but dislike invoice
errors. Every answer is dated in the six months before this one, and recorded that day.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import cycle

import sqlalchemy as sa

from strategy_app.models import FollowUp, Indicator, Measurement, NpsResponse, Objective
from strategy_app.services.dataio import demo_data as data
from strategy_app.services.evaluation import rules
from strategy_app.services.writes import nps as nps_writes

# Extra answers per segment, six months ago to last month.
# fmt: off
EXTRA_SCORES = {
    "large chains": (
        "8 6 9 3 7 10 5 8 9 2 7 8 6 9",
        "9 7 5 8 10 6 9 8 4 9 7 10 8 6",
        "10 8 9 6 9 7 10 5 9 8 10 7 9 8",
        "9 10 7 9 8 10 6 9 10 8 9 7 10 9",
        "10 9 9 7 10 8 9 10 6 9 10 8 9 10",
        "10 9 10 8 9 10 9 7 10 9 10 6 9 10",
    ),
    "independent stores": (
        "6 4 8 2 7 5 9 3 6 8 5 7",
        "5 7 3 8 6 9 4 7 2 8 6 7",
        "7 5 8 6 3 9 7 4 8 6 9 5",
        "8 6 7 4 9 7 5 8 6 9 3 8",
        "7 9 6 8 5 9 7 3 8 9 6 7",
        "9 6 8 7 10 5 8 9 6 7 9 4",
    ),
    "wholesalers": (
        "9 7 4 8 10 6 8 9",
        "8 9 6 7 9 3 10 8",
        "9 8 5 9 7 10 6 8",
        "10 7 9 4 8 9 7 9",
        "9 8 6 10 7 9 5 8",
        "8 9 7 10 6 9 8 9",
    ),
}
# fmt: on
PREFIXES = {"large chains": "CH", "independent stores": "IS", "wholesalers": "WH"}
# What detractors said, who follows up, and the plan that addresses it (None: no plan yet).
EXTRA_ISSUES = {
    "large chains": (
        ("The delivery slot was confirmed, then missed by half a day.", "logistics", "slots"),
        ("Our buyer waited a week for an answer on a price query.", "sales", "crm"),
    ),
    "independent stores": (
        ("Deliveries only come once a week now and we ran out of stock.", "logistics",
         "consolidate"),
        ("Nobody picks up the phone on Monday mornings.", None, None),
        ("The minimum order is too high for a small shop.", "sales", None),
    ),
    "wholesalers": (
        ("The invoice did not match the agreed price list again.", "finance", "deductions"),
        ("We had to re-key the order because the portal was down.", "systems", "selfservice"),
    ),
}  # fmt: skip
PRAISE = (
    "Delivery on the agreed slot, every time this month.",
    "The contact centre solved it in one call.",
    "Invoices are finally right.",
    "",
)
NOTES = {
    "open": "",
    "contacted": "Called the customer; the fix is on its way.",
    "resolved": "Called back, explained the cause and agreed what changes.",
}
# Objectives and the customer evidence they show (objective key: NPS segment, element key).
EVIDENCE = {
    "delivery": ("large chains", "processes"),
    "ordering": (None, "systems"),
    "loyalty": ("independent stores", None),
}


def _state(age: int, n: int) -> str:
    """Last month's follow-ups are mostly open, the month before's half done, older closed."""
    if age == 1:
        return ("open", "contacted", "open", "resolved")[n % 4]
    if age == 2:
        return ("contacted", "resolved", "resolved")[n % 3]
    return "resolved" if n % 7 else "contacted"


def add(builder) -> None:
    """Add the extra answers, date every answer's record, feed the NPS indicator, link
    the objectives. `builder` is demo._Builder (its session, users, plans and today)."""
    session, today, users = builder.session, builder.today, builder.users
    months = len(data.NPS_SCORES)
    praise = cycle(PRAISE)
    for segment, by_month in EXTRA_SCORES.items():
        issues = cycle(EXTRA_ISSUES[segment])
        for m, scores in enumerate(by_month):
            first = builder.when(f"f{m - months:+d}")
            age = months - m
            for j, score in enumerate(int(s) for s in scores.split()):
                day = first + timedelta(days=(j * 26 // len(scores.split())) + 1)
                response = NpsResponse(
                    date=day,
                    score=score,
                    segment=segment,
                    customer_ref=f"{PREFIXES[segment]}-{(j * 5 + m * 11) % 60 + 41:03d}",
                )
                if score >= rules.PROMOTER_MIN:
                    response.comment = next(praise)
                elif rules.is_detractor(score):
                    text, department, plan = next(issues)
                    state = _state(age, j)
                    response.comment = text
                    response.follow_up = FollowUp(
                        owner=users[data.lead(department) if department else data.MEMBER],
                        state="open",
                        action_plan=builder.plans[plan] if plan else None,
                    )
                    builder.follow_ups.append((response.follow_up, state, NOTES[state]))
                with builder.on(day):  # recorded on the day it was given
                    builder.add(response)
    _move_the_loops_on(builder, today)
    _feed_the_nps_indicator(builder, today)
    _link_objectives(session)


def _move_the_loops_on(builder, today: date) -> None:
    """Each follow-up, written open on its answer's day, reaches the state of the story on
    the story's days: contacted a day or two later, resolved some days after (before today),
    so that the NPS pages of a past day show the loops as open as they were then."""
    steps: list[tuple[date, int, FollowUp, str, str]] = []
    for n, (follow_up, state, note) in enumerate(builder.follow_ups):
        answered = follow_up.response.date
        if state == "open":
            continue
        contacted = min(answered + timedelta(days=1 + n % 2), today)
        steps.append((contacted, n, follow_up, "contacted", NOTES["contacted"]))
        if state == "resolved":
            closed = min(answered + timedelta(days=2 + n % 9), today - timedelta(days=1))
            steps.append((max(closed, contacted), n, follow_up, "resolved", note))
        else:
            steps[-1] = (contacted, n, follow_up, state, note)
    for day, _n, follow_up, state, note in sorted(steps, key=lambda s: (s[0], s[1], s[3])):
        with builder.on(day):
            nps_writes.set_state(follow_up, state)
            follow_up.note = note
            builder.session.flush()


def _feed_the_nps_indicator(builder, today: date) -> None:
    """The NPS indicator takes the monthly NPS from the first month of answers on, each
    month's value written at that month's end (as the app would have, month after month), so
    that a past day shows the values known then; then today's recomputation, as the app's."""
    session = builder.session
    indicator = session.scalar(
        sa.select(Indicator).where(Indicator.external_key == "nps.all_segments")
    )
    if indicator is not None:
        answers = session.execute(
            sa.select(NpsResponse.date, NpsResponse.score, NpsResponse.segment)
        ).all()
        month_ends = sorted({nps_writes.month_end(a.date) for a in answers})
        rows = {m.date: m for m in indicator.measurements}
        for end in (e for e in month_ends if e < today):
            with builder.on(end):
                if indicator.actuals_source != "nps":
                    indicator.actuals_source = "nps"
                known = [a for a in answers if a.date <= end]
                values = nps_writes.monthly_nps_values(known, indicator.nps_segment, end)
                for day, value in values.items():
                    row = rows.get(day)
                    if row is None:
                        rows[day] = row = Measurement(
                            indicator=indicator, date=day, source="nps", note="Monthly NPS"
                        )
                        session.add(row)
                    row.value, row.source, row.entered_by_id = value, "nps", None
                session.flush()
        if indicator.actuals_source != "nps":
            indicator.actuals_source = "nps"
            session.flush()
    nps_writes.recompute_nps_indicators(today)


def _link_objectives(session) -> None:
    titles = {key: title for key, title, *_ in data.OBJECTIVES}
    for key, (segment, element) in EVIDENCE.items():
        objective = session.scalar(sa.select(Objective).where(Objective.title == titles[key]))
        if objective is not None:
            objective.nps_segment, objective.health_element = segment, element
    session.flush()
