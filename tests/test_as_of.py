"""?as_of=D shows the world as it stood at the end of D (DESIGN §7 "As of a date").

The clock moves through a scripted week of changes; each day every page is read as it is
that day. Later, each page is read again with ?as_of= each of those days, and must show
the same content: same items, titles, states, progress and statuses.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AssessmentAnswer,
    CheckIn,
    Department,
    FollowUp,
    Measurement,
    Milestone,
    NpsResponse,
    Objective,
    PlanDependency,
    Review,
    StrategyLink,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.services.evaluation import clock, history
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.writes import tokens
from tests.queries import counting_queries

MONDAY = date(2026, 3, 2)
DAYS = [MONDAY + timedelta(days=n) for n in range(6)]


# A page of the past names its day where the page of that day said "today".
SAME_DAY_WORDING = [
    (r"the date shown", "today"),
    (r" \(not today\)", ""),
    (r" by \d{4}-\d\d-\d\d:", ":"),
    (r" \(today is \d{4}-\d\d-\d\d\)", ""),
    (r" \(today is \d{1,2} [A-Z][a-z]+ \d{4}\)", ""),
    (r" As it stood on \d{4}-\d\d-\d\d\.", ""),
    (r" As it stood on \d{1,2} [A-Z][a-z]+ \d{4}\.", ""),
    (r" as of \d{4}-\d\d-\d\d:", ":"),
]


def content(response) -> tuple:
    """What a page shows, without its controls: the text of <main> and every status mark."""
    assert response.status_code == 200, response.request.path
    if response.mimetype == "application/json":
        return (response.get_json(),)
    if "spreadsheetml" in response.mimetype:
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return ({sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book},)
    if response.mimetype != "text/html":
        return (response.get_data(as_text=True),)
    page = lxml.html.fromstring(response.get_data(as_text=True))
    main = page.get_element_by_id("main")
    statuses = [e.get("data-status") for e in main.xpath(".//*[@data-status]")]
    controls = main.xpath(
        ".//form | .//script | .//input | .//button | .//*[contains(@class, 'alert')]"
        " | .//a[contains(concat(' ', @class, ' '), ' btn ')]"
    )
    for element in controls:
        element.drop_tree()
    text = " ".join(main.text_content().split())
    for then, now in SAME_DAY_WORDING:
        text = re.sub(then, now, text)
    return text, statuses


def explain(got: tuple, want: tuple) -> str:
    """Where a page of the past differs from the page of that day."""
    import difflib

    if not isinstance(want[0], str):
        return f"{want[0]} != {got[0]}"
    words = difflib.ndiff(want[0].split(), got[0].split())
    return " ".join(w for w in words if w[0] in "+-")[:2000] + f" statuses {want[1:]} {got[1:]}"


class Story:
    """A small company whose week is scripted day by day."""

    def __init__(self, make):
        self.make = make

    def day(self, n: int) -> None:
        """Make day n's changes (the clock is on that day)."""
        make, session = self.make, db.session
        if n == 0:
            self.sales = make.department("sales", name="Sales")
            self.ops = make.department("ops", name="Operations")
            self.ceo = make.user("executive", name="Carla Exec")
            self.lead = make.user("lead", self.sales, name="Lea Lead")
            self.viewer = make.user("viewer", name="Vic Viewer")  # sees no write action
            _token, self.token = tokens.create_token(self.viewer, "Reader", "read", 90)
            make.organization(vision="Be the easiest distributor to buy from")
            self.grow = make.company_strategy(title="Grow sales")
            self.service = make.service_strategy(
                [(self.grow, "supports")], title="Serve at the first contact"
            )
            self.objective = make.objective(self.service, title="Faster answers")
            self.plan = make.plan(self.objective, self.sales, title="Train agents")
            self.other = make.plan(
                self.objective, self.ops, title="Call-back tool", state="planned"
            )
            self.indicator = make.indicator(
                self.objective,
                name="First-contact resolution",
                baseline_date=date(2026, 3, 1),
                target_date=date(2026, 3, 31),
                target_value=60.0,
                actuals=[(date(2026, 3, 1), 2.0)],
            )
            self.unhappy = NpsResponse(date=MONDAY, score=3, segment="Chains", comment="Late")
            self.unhappy.follow_up = FollowUp(owner=self.lead, state="open", note="")
            session.add_all(
                [self.unhappy, NpsResponse(date=MONDAY, score=9, segment="Shops", comment="Kind")]
            )
            self.assessment = Assessment(
                date=MONDAY,
                notes="First look",
                answers=[AssessmentAnswer(statement_key="systems.1", score=1, comment="Slow")],
            )
            self.review = Review(date=MONDAY, attendees="Carla, Lea", notes="Weekly review")
            session.add_all([self.assessment, self.review])
        elif n == 1:
            self.objective.title = "Answer at the first contact"
            self.plan.state, self.plan.progress_pct = "in_progress", 20
            session.add(
                CheckIn(action_plan=self.plan, state="in_progress", progress_pct=20, text="Go")
            )
            session.add(Measurement(indicator=self.indicator, date=date(2026, 3, 3), value=9.0))
            session.add(
                Assessment(
                    date=DAYS[1],
                    notes="Second look",
                    answers=[AssessmentAnswer(statement_key="systems.2", score=2)],
                )
            )
        elif n == 2:
            self.other.archived_at = utcnow()
            link = session.scalar(sa.select(StrategyLink))
            link.fit = "neutral"
            self.cut = self.make.company_strategy(title="Cut costs")
            self.indicator.milestones = [Milestone(date=date(2026, 3, 10), expected_value=40)]
            first = session.scalar(
                sa.select(Measurement).where(Measurement.date == date(2026, 3, 3))
            )
            first.value = 11.0  # the same date entered again replaces the value
            self.unhappy.follow_up.state, self.unhappy.follow_up.note = "contacted", "Called"
            self.review.attendees = "Carla, Lea, Vic"
        elif n == 3:
            self.other.archived_at = None  # restored
            self.plan.state, self.plan.progress_pct = "blocked", 35
            session.add(PlanDependency(plan=self.plan, blocked_by=self.other, note="Needs it"))
            self.second = self.make.objective(self.service, title="Know the customer")
            session.add(StrategyLink(service_strategy=self.service, company_strategy=self.cut))
            self.unhappy.follow_up.state, self.unhappy.follow_up.resolved_at = "resolved", utcnow()
            self.assessment.answers[0].score = 3
            session.add(NpsResponse(date=DAYS[3], score=10, segment="Chains", comment="Fixed"))
        elif n == 4:
            self.second.archived_at = utcnow()
            self.service.title = "Serve well at the first contact"
            session.add(Measurement(indicator=self.indicator, date=date(2026, 3, 6), value=30.0))
            session.delete(session.scalar(sa.select(PlanDependency)))
            self.review.notes = "Weekly review: call-backs agreed"
            self.indicator.name = "First-contact resolution rate"
            session.add(NpsResponse(date=DAYS[4], score=5, segment="Shops", comment="Meh"))
        elif n == 5:
            self.plan.state, self.plan.progress_pct = "done", 100
            self.grow.title = "Grow sales in every channel"
            self.cut.archived_at = utcnow()
            self.assessment.notes = "First look, reread"
        session.commit()
        if n == 0:
            self.urls = self.pages()
            # Reading the objects began a writer's transaction (outside a request): end it,
            # so that the API's sign-in bookkeeping can write.
            session.commit()

    def pages(self) -> list[str]:
        i, o, p = self.indicator.id, self.objective.id, self.plan.id
        a, f, r = self.assessment.id, self.unhappy.follow_up.id, self.review.id
        return [
            "/",
            "/strategy/",
            f"/strategy/service/{self.service.id}",
            "/objectives/",
            f"/objectives/{o}",
            f"/objectives/indicators/{i}",
            "/plans/",
            f"/plans/{p}",
            "/departments/",
            "/departments/sales",
            "/timeline/",
            "/strategy-map/",
            "/reports/alignment",
            "/reports/matrix",
            "/meeting",
            "/exports/plans.csv",
            "/exports/indicators.csv",
            "/exports/actuals.csv",
            "/exports/report",
            "/exports/",
            "/exports/plans.xlsx",
            "/exports/all.xlsx",
            "/objectives/indicators/",
            "/search?q=first",
            "/service-health",
            "/service-health/assessments",
            f"/service-health/assessments/{a}",
            "/nps/",
            "/nps/follow-ups",
            f"/nps/follow-ups/{f}",
            "/nps/responses.csv",
            "/meeting/reviews",
            f"/meeting/reviews/{r}",
            "/reports/my-updates",
            *(
                f"/api/v1/{path}"
                for path in (
                    "summary",
                    "departments",
                    "company-strategies",
                    f"company-strategies/{self.grow.id}",
                    "service-strategies",
                    f"service-strategies/{self.service.id}",
                    "objectives?archived=1",
                    f"objectives/{o}",
                    "action-plans",
                    "action-plans?archived=1",
                    f"action-plans/{p}",
                    "indicators",
                    f"indicators/{i}",
                    f"indicators/{i}/measurements",
                    "nps-responses",
                    "nps?by=month",
                    "nps?by=segment",
                    "follow-ups",
                    f"follow-ups/{f}",
                    "assessments",
                    f"assessments/{a}",
                    "checklist",
                    "users",
                    "me",
                )
            ),
        ]

    def get(self, client, url: str):
        """A page, or the API's answer with this story's token."""
        # Each request starts afresh, as in a server (the test's app context keeps the
        # session, and a transaction begun by a form post would hold SQLite's write lock).
        db.session.rollback()
        if url.startswith("/api/"):
            return client.get(url, headers={"Authorization": f"Bearer {self.token}"})
        return client.get(url)


def with_as_of(url: str, day: date) -> str:
    return f"{url}{'&' if '?' in url else '?'}as_of={day.isoformat()}"


def test_as_of_each_day_shows_what_that_day_showed(app, client, login, make):
    story = Story(make)
    seen: dict[tuple[date, str], tuple] = {}
    for n, day in enumerate(DAYS):
        with clock.travel(day):
            story.day(n)
            if n == 0:
                login(story.viewer)
            for url in story.urls:
                seen[(day, url)] = content(story.get(client, url))
    with clock.travel(DAYS[-1] + timedelta(days=3)):
        differ = []
        for day in DAYS:
            for url in story.urls:
                got = content(story.get(client, with_as_of(url, day)))
                if got != seen[(day, url)]:
                    differ.append((day, url, explain(got, seen[(day, url)])))
        assert not differ, "\n".join(map(str, differ))
        # The days did differ: the past is not today's world with old actuals.
        assert seen[(DAYS[0], "/objectives/")] != seen[(DAYS[-1], "/objectives/")]
        assert (
            seen[(DAYS[1], f"/plans/{story.plan.id}")] != seen[(DAYS[5], f"/plans/{story.plan.id}")]
        )
        assert "Faster answers" in seen[(DAYS[0], "/objectives/")][0]
        assert "Faster answers" not in seen[(DAYS[1], "/objectives/")][0]


def test_before_anything_existed_the_pages_are_empty(app, client, login, make):
    with clock.travel(MONDAY):
        story = Story(make)
        story.day(0)
        login(story.ceo)
    with clock.travel(MONDAY + timedelta(days=1)):
        html = client.get(with_as_of("/objectives/", MONDAY - timedelta(days=1)))
        text = content(html)[0]
        assert "Faster answers" not in text
        assert "as it stood on 1 March 2026" in html.get_data(as_text=True)
        assert client.get(f"/objectives/{story.objective.id}?as_of=2026-03-01").status_code == 404


def test_the_past_offers_no_change_and_a_way_back(app, client, login, make):
    with clock.travel(MONDAY):
        story = Story(make)
        story.day(0)
        login(story.ceo)
    with clock.travel(MONDAY + timedelta(days=2)):
        url = f"/plans/{story.plan.id}"
        today = client.get(url).get_data(as_text=True)
        past = client.get(with_as_of(url, MONDAY)).get_data(as_text=True)
        assert f'action="{url}/archive"' in today or "/edit" in today
        assert "/edit" not in past
        assert "/archive" not in past
        assert f'href="{url}">Back to today</a>' in past
        assert "as it stood on" not in today


WRITE_LINK = re.compile(r"/(edit|new|archive|restore|check-in|upload|import|move/\w+)(\?|$|#)")


def write_actions(html: str) -> list[str]:
    """The ways to change something that a page's <main> offers: forms that post, links to
    an edit, new, archive, restore, check-in or upload page."""
    main = lxml.html.fromstring(html).get_element_by_id("main")
    posts = [f.get("action") or "?" for f in main.xpath(".//form") if f.get("method") == "post"]
    links = [a.get("href") for a in main.xpath(".//a[@href]") if WRITE_LINK.search(a.get("href"))]
    return posts + links


def test_every_page_of_the_past_has_the_banner_and_no_write_action(app, client, login, make):
    """Signed in as an executive, who may change nearly everything today."""
    story = Story(make)
    for n, day in enumerate(DAYS):
        with clock.travel(day):
            story.day(n)
    login(story.ceo)
    pages = [u for u in story.urls if not u.startswith("/api/")]
    with clock.travel(DAYS[-1] + timedelta(days=1)):
        today = {}
        for url in pages:
            response = story.get(client, url)
            today[url] = (response.mimetype, response.get_data())
        html = [u for u, (kind, _body) in today.items() if kind == "text/html"]
        offered = [u for u in html if write_actions(today[u][1].decode())]
        assert len(offered) >= 12, offered  # today's pages do offer changes
        leaks = {}
        for url in pages:
            past = story.get(client, with_as_of(url, DAYS[2]))
            assert past.status_code == 200, url
            body = past.get_data()  # streamed answers are read to their end
            if url not in html:
                continue
            text = body.decode()
            assert "as it stood on 4 March 2026" in text, url
            if found := write_actions(text):
                leaks[url] = found
        assert leaks == {}, "\n".join(f"{u}: {found}" for u, found in leaks.items())


def test_a_past_session_cannot_write(app, make):
    with clock.travel(MONDAY):
        story = Story(make)
        story.day(0)
    plan_id, plan_type = story.plan.id, type(story.plan)
    with clock.travel(MONDAY + timedelta(days=1)):
        assert history.enter(MONDAY - timedelta(days=1))
        try:
            assert db.session.get(plan_type, plan_id) is None  # made on Monday, not Sunday
            db.session.add(CheckIn(action_plan_id=plan_id, state="done", text="x"))
            with pytest.raises(history.PastIsReadOnly):
                db.session.flush()
        finally:
            db.session.rollback()
        assert history.in_past() is None
        assert db.session.get(plan_type, plan_id) is not None


def _counts(client, story, url: str) -> tuple[int, int]:
    """The queries of a GET of url (the API with the story's token) with the computed figures
    forgotten (cold), then again (warm), each read to its end (exports stream)."""
    headers = {"Authorization": f"Bearer {story.token}"} if url.startswith("/api/") else {}
    counts = []
    for _ in ("cold", "warm"):
        db.session.commit()
        db.session.expunge_all()  # the test's objects would spare the page some loads
        if not counts:
            data_version.cache().clear()
            per_version.clear()
        with counting_queries() as statements:
            response = client.get(url, headers=headers)
            response.get_data()
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(statements))
    return counts[0], counts[1]


def test_as_of_pages_cost_a_fixed_number_of_queries(app, client, login, make):
    """Every page and API read of the story, as of a past day, in a small world and in one
    with more of everything (and more later changes to undo): the same number of queries."""
    with clock.travel(MONDAY):
        story = Story(make)
        story.day(0)
    with clock.travel(MONDAY + timedelta(days=1)):
        story.day(1)
        login(story.ceo)
    urls = [with_as_of(u, MONDAY) for u in story.urls]
    ids = {
        "objective": story.objective.id,
        "sales": story.sales.id,
        "lead": story.lead.id,
        "plan": story.plan.id,
        "other": story.other.id,
        "follow_up": story.unhappy.follow_up.id,
    }
    counts: list[dict[str, tuple[int, int]]] = []
    today: dict[str, tuple[int, int]] = {}
    # One more plan with a charted indicator in the small world, seven in the large: a page
    # with no chart to draw skips the charts' queries, which is no growth with the data.
    for more in (1, 7):
        get = db.session.get
        with clock.travel(MONDAY):
            objective, sales = get(Objective, ids["objective"]), get(Department, ids["sales"])
            for k in range(more):
                plan = make.plan(objective, sales, title=f"More {k}")
                make.indicator(plan, actuals=[(date(2026, 3, 1), 1.0)])
                unhappy = NpsResponse(date=MONDAY, score=2, segment="Chains")
                unhappy.follow_up = FollowUp(owner=get(User, ids["lead"]), state="open")
                db.session.add(unhappy)
            db.session.commit()
        with clock.travel(MONDAY + timedelta(days=2)):
            for k in range(more):  # and later changes to undo
                db.session.add(
                    CheckIn(action_plan_id=ids["plan"], state="in_progress", progress_pct=k)
                )
                db.session.add(NpsResponse(date=MONDAY, score=9, segment="Shops"))
            get(ActionPlan, ids["other"]).title = f"Renamed {more}"
            get(FollowUp, ids["follow_up"]).note = f"Called {more} times"
            db.session.commit()
        with clock.travel(MONDAY + timedelta(days=3)):
            counts.append({url: _counts(client, story, url) for url in urls})
            if more == 1:
                today = {url: _counts(client, story, url) for url in story.urls}
    grew = {
        url: (counts[0][url], counts[1][url]) for url in urls if counts[0][url] != counts[1][url]
    }
    assert grew == {}
    # Showing the past costs a fixed few statements more than today: at most 3 to rebuild it
    # (kept under the data version after the first time) and the views of the tables that
    # differ from that day (a temporary table and one insert more where rows were rewound).
    setup = 3 + 3 * len(history.world_tables()) + 1
    dearer = {
        url: (today[url], counts[0][with_as_of(url, MONDAY)])
        for url in story.urls
        if max(counts[0][with_as_of(url, MONDAY)]) > max(today[url]) + setup
    }
    assert dearer == {}
    # The second read of the same day rebuilds nothing: it costs no more than the first.
    assert all(warm <= cold for cold, warm in counts[1].values()), counts[1]


def test_the_demo_has_a_past(app):
    from strategy_app.models import ActionPlan, Objective, ServiceStrategy
    from strategy_app.services.dataio import demo

    assert demo.seed_demo("Lantern-Orchard-Quay-4817")
    today = clock.today()

    def world() -> tuple:
        plans = db.session.execute(sa.select(ActionPlan.state, ActionPlan.progress_pct)).all()
        live = ServiceStrategy.archived_at.is_(None)
        loops = db.session.execute(
            sa.select(FollowUp.state, sa.func.count()).group_by(FollowUp.state)
        )
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Objective)),
            sorted(plans),
            db.session.scalar(sa.select(sa.func.count()).select_from(ServiceStrategy).where(live)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)),
            db.session.scalar(sa.select(sa.func.count()).select_from(NpsResponse)),
            dict(loops.all()),
            db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)),
        )

    now = world()
    seen = {}
    for days_ago in (300, 150, 60):
        history.enter(today - timedelta(days=days_ago))
        seen[days_ago] = world()
        history.leave()
    assert world() == now
    assert seen[300][0] == 0  # before the objectives were set
    assert seen[300][2] == 2  # the old service strategy was still live
    assert seen[150][0] == now[0]
    assert seen[150][1] != now[1]  # the plans stood elsewhere
    assert all(state == "planned" for state, _pct in seen[150][1] if _pct == 0)
    assert seen[150][3] < seen[60][3] < now[3]  # actuals came in month by month
    # The customer's voice has a past too: answers month by month, loops closed over time,
    # the first service-health assessment 170 days ago and the latest 21 days ago.
    assert 0 < seen[150][4] < seen[60][4] < now[4]
    assert seen[60][5] != now[5]
    assert seen[60][5].get("open", 0) > 0
    assert sum(seen[60][5].values()) < sum(now[5].values())
    assert (seen[300][6], seen[150][6], seen[60][6], now[6]) == (0, 1, 1, 2)
    # The monthly NPS fed its indicator month by month: the last month brought no old month.
    from strategy_app.services.reads.compare import compare

    month = compare(today - timedelta(days=31), today)
    assert month.new_actuals
    assert all(m.before > today - timedelta(days=62) for m in month.new_actuals), [
        (m.title, m.before) for m in month.new_actuals
    ]


def test_comparing_two_days(app, make):
    from strategy_app.services.reads.compare import compare

    story = Story(make)
    for n, day in enumerate(DAYS):
        with clock.travel(day):
            story.day(n)
    ids = {"plan": story.plan.id, "other": story.other.id, "ops": story.ops.id}
    with clock.travel(DAYS[-1] + timedelta(days=3)):
        week = compare(DAYS[0], DAYS[5])
        assert [(m.title, m.before, m.after) for m in week.state_changes] == [
            ("Train agents", "planned", "done")
        ]
        assert [(m.before, m.after) for m in week.progress_moves] == [(0, 100)]
        assert [(m.after, m.before) for m in week.new_actuals] == [
            (11.0, date(2026, 3, 3)),
            (30.0, date(2026, 3, 6)),
        ]
        assert week.new == []
        assert week.archived == []
        wednesday = compare(DAYS[1], DAYS[2])
        assert [(i.kind, i.id) for i in wednesday.archived] == [("plan", ids["other"])]
        assert [m.after for m in wednesday.new_actuals] == [11.0]  # the replaced value
        thursday = compare(DAYS[2], DAYS[3])
        assert ("plan", ids["other"]) in [(i.kind, i.id) for i in thursday.new]  # restored
        assert [i.title for i in thursday.new if i.kind == "objective"] == ["Know the customer"]
        ops = compare(DAYS[0], DAYS[5], department_id=ids["ops"])
        assert ops.state_changes == []
        assert ops.empty
        assert history.in_past() is None


def test_the_changes_page_compares_two_days_for_company_department_and_objective(
    app, client, login, make
):
    story = Story(make)
    for n, day in enumerate(DAYS):
        with clock.travel(day):
            story.day(n)
    login(story.viewer)
    week = f"from={DAYS[0]}&to={DAYS[5]}"
    with clock.travel(DAYS[-1] + timedelta(days=1)):
        page = lxml.html.fromstring(story.get(client, f"/reports/changes?{week}").data)
        plans = [
            " ".join(li.text_content().split()) for li in page.xpath("//*[@id='changes-plans']/li")
        ]
        assert plans == [
            "Train agents: ◌ Planned → ✔ Done",
            "Train agents: progress 0% → 100%",
        ]
        actuals = [
            " ".join(li.text_content().split())
            for li in page.xpath("//*[@id='changes-actuals']/li")
        ]
        assert actuals == [
            "First-contact resolution rate: 11 for 2026-03-03",
            "First-contact resolution rate: 30 for 2026-03-06",
        ]
        assert "in the whole company" in page.xpath("//h1")[0].text_content()
        # Wednesday: the call-back tool was archived; Thursday it came back, with an objective.
        wednesday = lxml.html.fromstring(
            story.get(client, f"/reports/changes?from={DAYS[1]}&to={DAYS[2]}").data
        )
        assert [
            li.text_content().split(":")[0] for li in wednesday.xpath("//*[@id='changes-items']/li")
        ] == ["Plan Call-back tool"]
        thursday = story.get(client, f"/reports/changes?from={DAYS[2]}&to={DAYS[3]}")
        assert "Objective Know the customer: new" in content(thursday)[0]
        # A department: Operations' plan only; nothing of sales' plan.
        ops = content(story.get(client, f"/reports/changes?{week}&department=ops"))[0]
        assert "Nothing changed between these two days" in ops
        assert "in Operations" in ops
        sales = content(story.get(client, f"/reports/changes?{week}&department=sales"))[0]
        assert "Train agents" in sales
        # An objective, reached from the banner of its page in the past.
        past = story.get(client, f"/objectives/{story.objective.id}?as_of={DAYS[0]}")
        link = lxml.html.fromstring(past.data).get_element_by_id("past-changes").get("href")
        assert link == f"/reports/changes?from={DAYS[0]}&objective={story.objective.id}"
        mine = content(story.get(client, link))[0]
        assert "Train agents" in mine
        assert "“Answer at the first contact”" in mine
        # Bad input: a clear 4xx, never a 500.
        for query, status in (
            (f"from={DAYS[3]}&to={DAYS[1]}", 400),
            ("from=yesterday", 400),
            (f"from={DAYS[0]}&to=2099-01-01", 400),
            (f"{week}&objective=999999", 404),
            (f"{week}&objective=abc", 404),
            (f"{week}&department=nowhere", 404),
            (f"{week}&department=ops&objective={story.objective.id}", 400),
        ):
            assert story.get(client, f"/reports/changes?{query}").status_code == status, query
