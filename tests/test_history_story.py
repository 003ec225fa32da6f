"""History reads like a story: labels not columns, names not ids, readable dates, diffs."""

from __future__ import annotations

from datetime import date

from strategy_app.extensions import db
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.reads.history import history
from tests.queries import counting_queries


def test_a_plans_history_in_labels_names_and_dates(app, make):
    sales, logistics = (
        make.department("sales", name="Sales"),
        make.department("logistics", name="Logistics"),
    )
    boss = make.user("executive", name="Erin Exec", email="e@example.test")
    owner = make.user("lead", sales, name="Lee Lead", email="l@example.test")
    set_actor(db.session, boss.id)
    plan = make.plan(make.objective(), sales, title="Call late orders", description="Call them.")
    db.session.commit()
    plan.owner_id = owner.id
    plan.department_id = logistics.id
    plan.due_date = date(2026, 9, 30)
    plan.description = "Call every late order the same day and say when it will arrive. " * 3
    db.session.commit()
    assert plan.title  # loaded before counting
    with counting_queries() as statements:
        entries = history(plan)
    assert len([s for s in statements if s.startswith("SELECT")]) <= 4  # events, then names
    change = entries[0]
    assert change.who == "Erin Exec"
    assert change.what == "changed"
    by_label = {c.label: c for e in entries if e.action == "update" for c in e.changes}
    assert by_label["Owner"].before is None
    assert by_label["Owner"].after == "Lee Lead"
    assert (by_label["Department"].before, by_label["Department"].after) == ("Sales", "Logistics")
    assert by_label["Due date"].after == "30 Sep 2026"
    assert by_label["Description"].long
    assert by_label["Description"].removed == "them."  # only the words that went
    assert not any("_id" in label for label in by_label)


def test_the_history_on_the_page_has_no_column_names(client, login, make):
    boss = make.user("executive", name="Erin Exec", email="e@example.test")
    set_actor(db.session, boss.id)
    objective = make.objective(title="Deliver on time", owner=boss)
    db.session.commit()
    objective.owner_id = None
    db.session.commit()
    login(boss)
    page = client.get(f"/objectives/{objective.id}").get_data(as_text=True)
    section = page.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    assert "Owner: Erin Exec → —" in section
    assert "owner_id" not in section
    assert "+00:00<" not in section  # only in the machine-readable datetime attribute
    assert "UTC</time>" in section
