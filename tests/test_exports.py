"""The exports: CSV and XLSX hold the same numbers as metrics, the API and the pages.

The data (today is FIXED_TODAY, 2026-06-15):

    departments: logistics (position 0), sales (position 1), finance (archived)
    objective "Perfect orders"
      indicator ind_obj   increase 0 → 100 over 2026, actuals 20 (03-01), 40 (06-01)
      indicator ind_neg   maintain −2 (tolerance 0.5), actual −3.5 (06-01)
      indicator ind_gone  archived, actual 5 (06-01)
      plan p_formula      sales, "=HYPERLINK(...)", in_progress 40 %, due 2026-05-31, budget
        indicator ind_plan  decrease 100 → 50, actual 60 (06-10), note "-5 vs plan"
      plan p_html         logistics, "<b>Bold</b> & <script>", done
      plan p_cancelled    sales, cancelled
      plan p_archived     sales, archived
        indicator ind_of_archived_plan, actual 1 (06-01)
    objective "Old objective" (archived)
      plan p_under_archived  logistics, live itself
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from strategy_app.exports import figures, register, writers
from strategy_app.extensions import db
from strategy_app.models import Measurement
from strategy_app.models.base import utcnow
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.reads import exports
from strategy_app.services.writes.tokens import create_token
from tests.queries import counting_queries, page_query_counts

TODAY = date(2026, 6, 15)
PAST = date(2026, 5, 1)
ROLES = ("executive", "lead", "member", "viewer")
FORMULA = '=HYPERLINK("http://evil.test","click")'
HTML_TITLE = "<b>Bold</b> & <script>alert(1)</script>"
KINDS = ("plans", "indicators", "actuals")
TABLE_URLS = [f"/exports/{kind}.{fmt}" for kind in KINDS for fmt in ("csv", "xlsx")]
URLS = [*TABLE_URLS, "/exports/all.xlsx", "/exports/", "/exports/report"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _blueprint(app):
    """Register the blueprint when the factory does not (yet)."""
    if "exports" not in app.blueprints:
        register(app)


@pytest.fixture
def world(app, make):
    """The data of the module docstring; returns a dict of objects by name."""
    w = {}
    w["org"] = make.organization(name="Acme <Distribution>", vision="Be #1 <i>everywhere</i>")
    logistics = make.department("logistics", name="Logistics", position=0)
    sales = make.department("sales", name="Sales", position=1)
    make.department("finance", name="Finance", position=2, archived_at=utcnow())
    w.update(logistics=logistics, sales=sales)
    for role in ROLES:
        w[role] = make.user(role, sales if role in ("lead", "member") else None)
    service = make.service_strategy(title="Serve first time right")
    o1 = make.objective(service, title="Perfect orders")
    old = make.objective(service, title="Old objective", archived_at=utcnow())
    w["ind_obj"] = make.indicator(
        o1, name="Orders right", unit="%", actuals=[(date(2026, 3, 1), 20), (date(2026, 6, 1), 40)]
    )
    w["ind_neg"] = make.indicator(
        o1,
        name="Stock gap",
        direction="maintain",
        baseline_value=-2.0,
        target_value=-2.0,
        tolerance=0.5,
        actuals=[(date(2026, 6, 1), -3.5)],
    )
    w["ind_gone"] = make.indicator(
        o1, name="Archived indicator", archived_at=utcnow(), actuals=[(date(2026, 6, 1), 5)]
    )
    w["p_formula"] = make.plan(
        o1,
        sales,
        title=FORMULA,
        state="in_progress",
        progress_pct=40,
        due_date=date(2026, 5, 31),
        start_date=date(2026, 1, 15),
        budget=Decimal("1234.50"),
        owner=w["member"],
    )
    w["ind_plan"] = make.indicator(
        w["p_formula"],
        name="Returns",
        direction="decrease",
        baseline_value=100.0,
        target_value=50.0,
        milestones=[(date(2026, 7, 1), 70.0)],
    )
    db.session.add(
        Measurement(
            indicator=w["ind_plan"],
            date=date(2026, 6, 10),
            value=60.0,
            note="-5 vs plan",
            source="api",
            entered_by=w["lead"],
        )
    )
    w["p_html"] = make.plan(o1, logistics, title=HTML_TITLE, state="done", progress_pct=100)
    w["p_cancelled"] = make.plan(o1, sales, title="Dropped idea", state="cancelled")
    w["p_archived"] = make.plan(o1, sales, title="Old archived plan", archived_at=utcnow())
    w["ind_of_archived_plan"] = make.indicator(
        w["p_archived"], name="Gone with its plan", actuals=[(date(2026, 6, 1), 1)]
    )
    w["p_under_archived"] = make.plan(old, logistics, title="Plan under an archived objective")
    db.session.commit()
    return w


@pytest.fixture
def signed_in(client, login, world):
    """The client, signed in as the viewer (everyone signed in may read every export)."""
    login(world["viewer"])
    return client


def read_csv(response) -> list[dict[str, str]]:
    """Rows of a CSV answer, checking the BOM and the encoding on the way."""
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_xlsx(response, sheet: str | None = None) -> list[dict]:
    """Rows of one sheet of an XLSX answer, as dicts by header."""
    book = load_workbook(io.BytesIO(response.get_data()))
    ws = book[sheet] if sheet else book.worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def header(rows: list[dict], start: str) -> str:
    """The one header of rows that starts with start (the as-of headers carry the date)."""
    (name,) = [h for h in rows[0] if h.startswith(start)]
    return name


def api(client, user, path: str) -> dict:
    """GET an API list with a read token of user."""
    _, token = create_token(user, "exports test", "read")
    db.session.commit()
    response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- the numbers: metrics, API, CSV and XLSX agree -----------------------------------------


def test_plans_csv_holds_the_numbers_of_the_rules_and_the_api(signed_in, world):
    rows = read_csv(signed_in.get("/exports/plans.csv"))
    by_id = {int(r["id"]): r for r in rows}
    expected_ids = {
        world[k].id for k in ("p_formula", "p_html", "p_cancelled")
    }  # live plans under live objectives
    assert set(by_id) == expected_ids
    items = {
        p["id"]: p for p in api(signed_in, world["viewer"], "/action-plans?per_page=200")["items"]
    }
    execution, overdue = header(rows, "execution"), header(rows, "overdue")
    assert execution == "execution (%, as of 2026-06-15)"
    words = {"planned": "Planned", "in_progress": "In progress", "done": "Done"}
    words |= {"blocked": "Blocked", "cancelled": "Cancelled"}
    for pid, row in by_id.items():
        item = items[pid]
        assert row["state code"] == item["state"]
        assert row["state"] == words[item["state"]]  # words for people, the code beside
        assert int(row["progress (%)"]) == item["progress_pct"]
        assert row[overdue] == ("yes" if item["overdue"] else "no")
        share = item["execution"]
        assert (float(row[execution]) if row[execution] else None) == (
            None if share is None else round(share * 100)
        )
        assert (float(row["budget"]) if row["budget"] else None) == item["budget"]
        assert row["due"] == (item["due_date"] or "")
    p = by_id[world["p_formula"].id]
    assert p["department"] == "Sales"
    assert p["objective"] == "Perfect orders"
    assert p["owner"] == world["member"].name
    assert p["start"] == "2026-01-15"
    assert p[overdue] == "yes"
    assert p["budget"] == "1234.50"
    assert by_id[world["p_cancelled"].id][execution] == ""  # cancelled: no execution
    assert by_id[world["p_html"].id][execution] == "100"


def test_indicators_csv_holds_the_numbers_of_metrics_and_the_api(signed_in, world):
    rows = read_csv(signed_in.get("/exports/indicators.csv"))
    by_id = {int(r["id"]): r for r in rows}
    live = {world[k].id for k in ("ind_obj", "ind_neg", "ind_plan")}
    assert set(by_id) == live
    figures = metrics.overview(TODAY).results
    items = {
        i["id"]: i for i in api(signed_in, world["viewer"], "/indicators?per_page=200")["items"]
    }
    exp, act, prog, stat = (
        header(rows, h) for h in ("expected (", "actual (", "progress (", "status (")
    )
    for iid, row in by_id.items():
        result, item = figures[iid], items[iid]
        # expected at the indicator's display precision; progress in %; status in words
        places = int(row["decimals shown"])
        assert float(row[exp]) == round(result.expected, places) == round(item["expected"], places)
        assert (float(row[act]) if row[act] else None) == result.actual == item["actual"]
        assert float(row[prog]) == round(result.progress * 100) == round(item["progress"] * 100)
        assert row["status code"] == result.status == item["status"]
        assert row[stat] == {"on_track": "On track", "at_risk": "At risk"}.get(
            result.status, row[stat]
        )
        assert row["actual date"] == (result.actual_date.isoformat() if result.actual_date else "")
    obj, plan = by_id[world["ind_obj"].id], by_id[world["ind_plan"].id]
    assert (obj["parent type"], int(obj["parent id"]), obj["parent title"]) == (
        "objective",
        world["ind_obj"].objective_id,
        "Perfect orders",
    )
    assert obj["department"] == ""
    assert (plan["parent type"], plan["department"]) == ("plan", "Sales")
    assert plan["parent title"] == "'" + FORMULA
    assert (obj[stat], obj["status code"]) == ("At risk", rules.AT_RISK)
    assert (plan[stat], plan["status code"]) == ("On track", rules.ON_TRACK)
    # A negative number stays a number (no apostrophe).
    assert by_id[world["ind_neg"].id][act] == "-3.5"
    assert by_id[world["ind_neg"].id]["baseline value"] == "-2.0"


def test_actuals_csv_lists_every_actual_of_the_live_indicators(signed_in, world):
    rows = read_csv(signed_in.get("/exports/actuals.csv"))
    assert [(int(r["indicator id"]), r["date"], float(r["value"])) for r in rows] == sorted(
        [
            (world["ind_obj"].id, "2026-03-01", 20.0),
            (world["ind_obj"].id, "2026-06-01", 40.0),
            (world["ind_neg"].id, "2026-06-01", -3.5),
            (world["ind_plan"].id, "2026-06-10", 60.0),
        ]
    )
    plan_row = next(r for r in rows if int(r["indicator id"]) == world["ind_plan"].id)
    assert plan_row["indicator"] == "Returns"
    assert plan_row["note"] == "'-5 vs plan"  # a leading minus in text is neutralised
    assert plan_row["source"] == "api"
    assert plan_row["entered by"] == world["lead"].name
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", plan_row["entered at (UTC)"])


@pytest.mark.parametrize("kind", ["plans", "indicators", "actuals"])
def test_xlsx_holds_the_same_values_as_csv_with_real_types(signed_in, world, kind):
    csv_rows = read_csv(signed_in.get(f"/exports/{kind}.csv"))
    response = signed_in.get(f"/exports/{kind}.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.get_data()))
    ws = book.worksheets[0]
    assert ws.title == kind.title()
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    assert ws.column_dimensions["A"].width > 0
    xlsx_rows = read_xlsx(response)
    assert len(xlsx_rows) == len(csv_rows)
    for c, x in zip(csv_rows, xlsx_rows, strict=True):
        assert list(c) == list(x)
        for name, text in c.items():
            value = x[name]
            if value is None:
                assert text == ""
            elif isinstance(value, datetime):
                assert text in (value.date().isoformat(), value.isoformat(sep=" "))
            elif isinstance(value, int | float):
                assert float(text) == pytest.approx(value, rel=1e-12)
                assert not isinstance(value, bool)
            else:
                assert value == text


def test_all_xlsx_has_three_sheets_with_the_rows_of_each_export(signed_in, world):
    response = signed_in.get("/exports/all.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Plans", "Indicators", "Actuals"]
    for sheet in book.sheetnames:
        rows = read_xlsx(response, sheet)
        assert len(rows) == len(read_csv(signed_in.get(f"/exports/{sheet.lower()}.csv")))
    plans = read_xlsx(response, "Plans")
    p = next(r for r in plans if r["id"] == world["p_formula"].id)
    assert p["due"] == datetime(2026, 5, 31)
    assert p["budget"] == pytest.approx(1234.5)
    assert p["progress (%)"] == 40
    assert p["execution (%, as of 2026-06-15)"] == 40  # the same percent as progress
    assert response.headers["Content-Disposition"] == 'attachment; filename="all-2026-06-15.xlsx"'
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_xlsx_cells_have_number_formats(signed_in, world):
    response = signed_in.get("/exports/indicators.xlsx")
    ws = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    headers = [c.value for c in ws[1]]
    row = next(ws.iter_rows(min_row=2, max_row=2))
    cells = dict(zip(headers, row, strict=True))
    assert cells["baseline date"].is_date
    # percentages one way everywhere: numbers of percent under a "(%)" header
    assert cells["tolerance (%)"].value == 10
    assert cells["progress (%, as of 2026-06-15)"].data_type == "n"
    assert cells["status (as of 2026-06-15)"].value in ("On track", "At risk", "Off track")
    assert cells["baseline value"].data_type == "n"


# --- safety of the cells -------------------------------------------------------------------


def test_formula_in_a_title_is_text_with_an_apostrophe_in_csv_and_xlsx(signed_in, world):
    titles = {r["title"] for r in read_csv(signed_in.get("/exports/plans.csv"))}
    assert "'" + FORMULA in titles
    assert FORMULA not in titles
    response = signed_in.get("/exports/plans.xlsx")
    ws = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    cells = [c for c in ws["D"] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert len(cells) == 1
    assert cells[0].value == "'" + FORMULA
    assert cells[0].data_type == "s"  # a string, not a formula


def test_html_in_titles_is_plain_text_in_the_exports(signed_in, world):
    titles = {r["title"] for r in read_csv(signed_in.get("/exports/plans.csv"))}
    assert HTML_TITLE in titles
    xlsx_titles = {r["title"] for r in read_xlsx(signed_in.get("/exports/plans.xlsx"))}
    assert HTML_TITLE in xlsx_titles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert writers.neutralise(text) == expected


def test_numbers_stay_numbers_and_odd_text_is_made_safe():
    table = exports.Table(
        "t",
        "T",
        (
            exports.Column("n", exports.NUMBER),
            exports.Column("text", exports.TEXT),
            exports.Column("when", exports.DATETIME),
        ),
        iter([(-1.5, "a\x01b\x00c" + "x" * 40_000, datetime(2026, 1, 2, 3, 4, 5, 6))]),
    )
    with writers.xlsx_file([table]) as f:
        ws = load_workbook(f).worksheets[0]
        n, text, when = (c.value for c in ws[2])
    assert n == -1.5
    assert text.startswith("abc")
    assert len(text) == writers.XLSX_MAX_TEXT
    assert when == datetime(2026, 1, 2, 3, 4, 5)
    table.rows = iter([(-1.5, "=x", None)])
    body = "".join(writers.csv_chunks(table))
    assert body.splitlines()[1] == '-1.5,"\'=x",""'


def test_a_sheet_past_the_row_limit_goes_on_in_another(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    table = exports.Table(
        "t", "T", (exports.Column("n", exports.INT),), iter([(i,) for i in range(5)])
    )
    with writers.xlsx_file([table]) as f:
        book = load_workbook(f)
    assert book.sheetnames == ["T", "T (2)", "T (3)"]
    values = [c.value for ws in book.worksheets for (c,) in ws.iter_rows(min_row=2)]
    assert values == [0, 1, 2, 3, 4]


# --- as of a date, archived items ----------------------------------------------------------


def test_as_of_in_the_past_changes_status_and_actual(signed_in, world):
    now = {int(r["id"]): r for r in read_csv(signed_in.get("/exports/indicators.csv"))}
    then_response = signed_in.get(f"/exports/indicators.csv?as_of={PAST.isoformat()}")
    then_rows = read_csv(then_response)
    then = {int(r["id"]): r for r in then_rows}
    iid = world["ind_obj"].id
    assert now[iid]["actual (as of 2026-06-15)"] == "40.0"
    assert then[iid]["actual (as of 2026-05-01)"] == "20.0"
    assert now[iid]["status code"] == rules.AT_RISK
    assert then[iid]["status (as of 2026-05-01)"] == "Off track"
    past = metrics.overview(PAST).results
    for i, row in then.items():
        assert row["status code"] == past[i].status
        places = int(row["decimals shown"])
        assert float(row["expected (as of 2026-05-01)"]) == round(past[i].expected, places)
    assert "indicators-2026-05-01.csv" in then_response.headers["Content-Disposition"]
    plans = {
        int(r["id"]): r for r in read_csv(signed_in.get("/exports/plans.csv?as_of=2026-05-01"))
    }
    assert plans[world["p_formula"].id]["overdue (as of 2026-05-01)"] == "no"
    actuals = read_csv(signed_in.get("/exports/actuals.csv?as_of=2026-05-01"))
    assert {r["date"] for r in actuals} == {"2026-03-01"}


def test_api_as_of_agrees_with_the_export_as_of(signed_in, world):
    rows = read_csv(signed_in.get("/exports/indicators.csv?as_of=2026-05-01"))
    items = {
        i["id"]: i
        for i in api(signed_in, world["viewer"], "/indicators?per_page=200&as_of=2026-05-01")[
            "items"
        ]
    }
    for row in rows:
        item = items[int(row["id"])]
        assert row["status code"] == item["status"]
        shown = row["progress (%, as of 2026-05-01)"]
        if item["actual"] is None:  # no actual: no progress shown, not a false 0 (issue 15)
            assert shown == ""
        else:
            assert float(shown) == round(item["progress"] * 100)


def test_archived_items_are_left_out_unless_asked_for(signed_in, world):
    plans = {r["title"] for r in read_csv(signed_in.get("/exports/plans.csv"))}
    assert "Old archived plan" not in plans
    assert "Plan under an archived objective" not in plans
    with_archived = read_csv(signed_in.get("/exports/plans.csv?archived=1"))
    flags = {r["title"]: r["archived"] for r in with_archived}
    assert flags["Old archived plan"] == "yes"
    assert flags["Plan under an archived objective"] == "yes"
    assert flags["Dropped idea"] == "no"
    names = {r["name"] for r in read_csv(signed_in.get("/exports/indicators.csv"))}
    assert not names & {"Archived indicator", "Gone with its plan"}
    all_names = {
        r["name"]: r for r in read_csv(signed_in.get("/exports/indicators.csv?archived=1"))
    }
    assert {"Archived indicator", "Gone with its plan"} <= set(all_names)
    assert all_names["Gone with its plan"]["archived"] == "yes"
    # Computed with the same rule as the API does for archived items.
    gone = world["ind_gone"]
    assert all_names["Archived indicator"]["status code"] == (
        metrics.evaluate_indicators([gone], TODAY)[gone.id].status
    )
    actual_ids = {int(r["indicator id"]) for r in read_csv(signed_in.get("/exports/actuals.csv"))}
    assert world["ind_gone"].id not in actual_ids
    assert world["ind_of_archived_plan"].id not in actual_ids
    every = {
        int(r["indicator id"]) for r in read_csv(signed_in.get("/exports/actuals.csv?archived=1"))
    }
    assert {world["ind_gone"].id, world["ind_of_archived_plan"].id} <= every
    response = signed_in.get("/exports/plans.xlsx?archived=1")
    assert "plans-2026-06-15-with-archived.xlsx" in response.headers["Content-Disposition"]
    assert "archived" in read_xlsx(response)[0]


# --- who may download, and the answers -----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_download_every_export(client, login, world, role):
    login(world[role])
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        response.get_data()


@pytest.mark.parametrize("url", URLS)
def test_signed_out_is_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_downloads_are_dated_attachments_of_the_right_type(signed_in, world):
    response = signed_in.get("/exports/plans.csv")
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="plans-2026-06-15.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert b"\r\n" in body  # RFC 4180 line ends
    response = signed_in.get("/exports/actuals.xlsx?as_of=2026-04-30")
    assert "actuals-2026-04-30.xlsx" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "url",
    [
        "/exports/plans.csv?as_of=yesterday",
        "/exports/indicators.xlsx?as_of=2026-13-01",
        "/exports/report?as_of=%00",
        "/exports/actuals.csv?as_of=99999-01-01",
    ],
)
def test_a_bad_date_is_a_400(signed_in, url):
    assert signed_in.get(url).status_code == 400


@pytest.mark.parametrize("url", ["/exports/users.csv", "/exports/plans.pdf", "/exports/all.csv"])
def test_unknown_exports_are_404(signed_in, url):
    assert signed_in.get(url).status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_answer(signed_in, world, day):
    for url in (*TABLE_URLS, "/exports/report"):
        response = signed_in.get(f"{url}?as_of={day}")
        assert response.status_code == 200, url
        response.get_data()


def test_index_lists_each_export_and_carries_the_choice(signed_in, world):
    page = signed_in.get("/exports/").get_data(as_text=True)
    for url in ("plans.csv", "plans.xlsx", "indicators.csv", "indicators.xlsx"):
        assert f'href="/exports/{url}"' in page
    assert 'href="/exports/all.xlsx"' in page
    assert 'href="/exports/report"' in page
    assert 'type="date"' in page
    page = signed_in.get("/exports/?as_of=2026-05-01&archived=1").get_data(as_text=True)
    assert 'href="/exports/plans.csv?as_of=2026-05-01&amp;archived=1"' in page
    assert 'href="/exports/report?as_of=2026-05-01"' in page
    assert 'value="2026-05-01"' in page
    assert "checked" in page


# --- bounded queries -----------------------------------------------------------------------


def grow(make, world, n: int) -> None:
    """n more plans per live department, each with an indicator and a few actuals."""
    objective = world["p_formula"].objective
    for department in (world["sales"], world["logistics"]):
        for k in range(n):
            plan = make.plan(objective, department, state="in_progress", progress_pct=10 * (k % 10))
            make.indicator(
                plan,
                milestones=[(date(2026, 4, 1), 30.0)],
                actuals=[(date(2026, m, 1), 10.0 * m) for m in range(1, 6)],
            )
        make.indicator(objective, actuals=[(date(2026, 2, 1), 5.0)])
    db.session.commit()


def test_query_counts_do_not_grow_with_the_data(signed_in, make, world):
    def counts() -> dict[str, int]:
        found = {}
        for url in URLS:
            # Each page computed afresh (after a change, the report renders again only what
            # it touched: test_report_refresh counts that path)
            data_version.cache().clear()
            per_version.clear()
            with counting_queries() as queries:
                response = signed_in.get(url)
                response.get_data()
            assert response.status_code == 200, url
            found[url] = len(queries)
        return found

    grow(make, world, 2)
    small = counts()
    grow(make, world, 10)
    assert counts() == small
    assert small["/exports/actuals.csv"] <= 6  # the user, then one streamed query


# --- the printable report ------------------------------------------------------------------


def test_report_has_one_section_per_live_department_in_position_order(signed_in, world):
    page = signed_in.get("/exports/report").get_data(as_text=True)
    sections = re.findall(r'<section class="report-department"[^>]*data-department="([^"]+)"', page)
    assert sections == ["logistics", "sales"]
    assert re.search(r'<link rel="stylesheet" href="[^"]*/css/print\.css" media="print">', page)
    assert "finance" not in sections


def test_report_holds_the_figures_of_metrics(signed_in, world):
    page = signed_in.get("/exports/report").get_data(as_text=True)
    view = metrics.cascade(TODAY)
    for status, n in view.status_counts().items():
        assert f'data-status="{status}">{n}<' in page
    sales = page.split('data-department="sales"', 1)[1].split("</section>", 1)[0]
    card = view.scorecards[world["sales"].id]
    assert f'data-overdue="{card.overdue}"' in sales
    assert card.overdue == 1
    assert "Overdue" in sales
    plan_ind = world["ind_plan"]
    result = view.indicator_results[plan_ind.id]
    row = sales.split(f'data-indicator="{plan_ind.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'data-status="{result.status}"' in sales
    assert "On track" in row  # text and symbol, not colour alone
    assert "●" in row
    assert "60 " in row
    assert "(2026-06-10)" in row
    assert f"{result.progress * 100:.0f}%" in row
    assert "Dropped idea" in sales  # listed among the plans (cancelled) …
    logistics = page.split('data-department="logistics"', 1)[1].split("</section>", 1)[0]
    assert "Plan under an archived objective" not in logistics  # … archived ones are not


def test_report_as_of_in_the_past_shows_older_status(signed_in, world):
    page = signed_in.get("/exports/report?as_of=2026-05-01").get_data(as_text=True)
    assert "2026-05-01" in page
    past = metrics.cascade(PAST)
    for status, n in past.status_counts().items():
        assert f'data-status="{status}">{n}<' in page
    sales = page.split('data-department="sales"', 1)[1].split("</section>", 1)[0]
    assert "Overdue</span>" not in sales


def test_report_is_rendered_once_until_the_data_changes(signed_in, world, db_session):
    db_session.commit()
    cold, warm = page_query_counts(signed_in, "/exports/report")
    assert warm < cold  # the rendered body is reused: no figures computed, no rows read
    assert warm <= 6  # 4, and 2 for the count on "My updates" in the navigation
    first = signed_in.get("/exports/report").get_data(as_text=True)
    assert "Acme &lt;Distribution&gt;" in first
    world["org"].name = "Acme Renamed"
    db_session.commit()
    again = signed_in.get("/exports/report").get_data(as_text=True)
    assert "Acme Renamed" in again
    assert "Acme &lt;Distribution&gt;" not in again
    printed = signed_in.get("/exports/report?print=1").get_data(as_text=True)
    assert "Back to the report" in printed  # each variant is kept apart
    assert "Back to the report" not in signed_in.get("/exports/report").get_data(as_text=True)


def test_report_escapes_html(signed_in, world):
    page = signed_in.get("/exports/report").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Acme &lt;Distribution&gt;" in page
    assert "&lt;i&gt;everywhere&lt;/i&gt;" in page


def test_report_print_link_and_print_view(signed_in, world):
    page = signed_in.get("/exports/report").get_data(as_text=True)
    assert 'href="/exports/report?print=1"' in page
    assert "browser&#39;s Print" in page or "browser's Print" in page
    assert "<script>" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    view = signed_in.get("/exports/report?print=1&as_of=2026-05-01").get_data(as_text=True)
    link = re.search(r'<link rel="stylesheet" href="[^"]*print\.css"[^>]*>', view).group(0)
    assert "media=" not in link  # the print view shows the paper layout on screen too
    assert 'href="/exports/report?as_of=2026-05-01"' in view  # the way back keeps the date
    assert 'style="' not in view


def test_report_without_data_says_so(client, login, make):
    login(make.user("viewer"))
    db.session.commit()
    page = client.get("/exports/report").get_data(as_text=True)
    assert "No organization or vision written yet." in page
    assert "No department yet." in page
    rows = read_csv(client.get("/exports/plans.csv"))
    assert rows == []


def chart_rows(page: str, chart_id: str) -> list[str]:
    """The first cell of each row of a chart's table view (the chart macro's figcaption)."""
    figure = re.search(
        rf'<figure class="chart[^"]*" id="{chart_id}-figure">(.*?)</figure>', page, re.S
    )
    assert figure, chart_id
    assert f'<script type="application/json" id="{chart_id}-data">' in figure.group(1)
    return re.findall(r'<th scope="row">(.*?)</th>', figure.group(1), re.S)


def test_report_charts_each_department_with_the_figures_of_the_page(signed_in, world):
    if figures.charts is None:
        pytest.skip("strategy_app.charts is not there: the report has no charts")
    page = signed_in.get("/exports/report").get_data(as_text=True)
    assert chart_rows(page, "chart-departments") == ["Logistics", "Sales"]
    # The live indicators of its live, not cancelled, plans.
    assert chart_rows(page, f"chart-dept-{world['sales'].id}") == ["Returns"]
    assert f'id="chart-dept-{world["logistics"].id}"' not in page  # no indicator, no chart
    assert "js/charts.js" in page


def test_report_charts_the_worst_indicators_first(signed_in, make, world):
    if figures.charts is None:
        pytest.skip("strategy_app.charts is not there: the report has no charts")
    plan = world["p_formula"]
    for k in range(figures.CHARTED + 2):
        actual = 0.0 if k % 2 else 90.0  # odd ones far behind (off track), even ones ahead
        make.indicator(plan, name=f"Extra {k}", actuals=[(date(2026, 6, 1), actual)])
    db.session.commit()
    page = signed_in.get("/exports/report").get_data(as_text=True)
    charted = chart_rows(page, f"chart-dept-{world['sales'].id}")
    assert len(charted) == figures.CHARTED
    assert charted[:4] == ["Extra 1", "Extra 3", "Extra 5", "Extra 7"]
    assert f"The chart shows the {figures.CHARTED} indicators furthest behind" in page
