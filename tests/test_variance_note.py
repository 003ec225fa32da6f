"""The variance explanation is kept with the actual (issue 15).

An off-track actual entered with its explanation keeps that explanation as its own note,
whatever the corrective action; a check-in made for it links to it; the indicator page shows
the note beside the value; the API and the actuals export show it as the actual's note; and
the migration copies the explanations recorded before into the notes of their actuals.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import CheckIn, Measurement
from strategy_app.services.writes import tokens
from tests import test_actuals
from tests.test_actuals import EXPLAINED, OFF_TRACK, post_actual

world = test_actuals.world  # the same world: a plan of sales with an indicator

WHY = EXPLAINED["explanation"]


def _explained(client, indicator, **extra):
    assert post_actual(client, indicator, OFF_TRACK).status_code == 422
    r = post_actual(client, indicator, OFF_TRACK, **{**EXPLAINED, **extra})
    assert r.status_code == 302, r.get_data(as_text=True)
    return db.session.scalars(
        sa.select(Measurement).where(Measurement.indicator_id == indicator.id)
    ).one()


def test_a_check_in_explanation_is_the_actual_note_and_the_check_in_links_to_it(
    client, login, world
):
    login(world.lead)
    actual = _explained(client, world.plan_indicator)
    assert actual.note.startswith(f"Why off track: {WHY}")
    check_in = db.session.scalars(sa.select(CheckIn)).one()
    assert check_in.measurement_id == actual.id

    page = client.get(f"/objectives/indicators/{world.plan_indicator.id}").get_data(True)
    row = page.split(f'id="actual-{actual.id}"', 1)[1].split("</tr>", 1)[0]
    assert "10" in row
    assert f"Why off track: {WHY}" in row  # beside the value, in the same row
    assert "typed in" in row  # the source in words, not "manual"

    plan_page = client.get(f"/plans/{world.plan.id}").get_data(True)
    link = f"/objectives/indicators/{world.plan_indicator.id}#actual-{actual.id}"
    assert f'href="{link}"' in plan_page


def test_a_new_plan_explanation_is_the_actual_note_too(client, login, world):
    login(world.lead)
    actual = _explained(
        client,
        world.plan_indicator,
        kind="new_plan",
        action="",
        title="Re-key the orders",
        department_id=str(world.sales.id),
    )
    assert (
        actual.note == f"Why off track: {WHY}\nCorrective action: a new plan, “Re-key the orders”"
    )


def test_the_api_and_the_export_show_the_explanation_as_the_note(client, login, world):
    login(world.lead)
    actual = _explained(client, world.plan_indicator)
    _, token = tokens.create_token(world.lead, "test", "read")
    db.session.commit()
    body = client.get(
        f"/api/v1/indicators/{world.plan_indicator.id}/measurements",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert body.status_code == 200
    assert [m["note"] for m in body.get_json()["items"]] == [actual.note]
    export = client.get("/exports/actuals.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert any(f"Why off track: {WHY}" in cell for row in rows for cell in row)


def _migration():
    path = Path(__file__).parents[1] / "migrations" / "versions"
    (found,) = path.glob("c15plain001_*.py")
    spec = importlib.util.spec_from_file_location("c15plain001", found)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_copies_recorded_explanations_into_notes(client, login, world):
    """Data from before: the note empty and the check-in unlinked; the audit log has the rest."""
    login(world.lead)
    actual = _explained(client, world.plan_indicator)
    written = actual.note
    db.session.execute(sa.update(Measurement).values(note="June figure"))
    db.session.execute(sa.update(CheckIn).values(measurement_id=None))
    db.session.commit()
    with db.engine.begin() as conn:
        _migration().copy_explanations(conn)
        _migration().copy_explanations(conn)  # twice: nothing added the second time
    db.session.expire_all()
    assert db.session.get(Measurement, actual.id).note == f"June figure\n\n{written}"
    assert db.session.scalars(sa.select(CheckIn)).one().measurement_id == actual.id


def test_the_check_ins_export_names_the_actual_a_check_in_explains(client, login, world):
    login(world.lead)
    actual = _explained(client, world.plan_indicator)
    export = client.get("/exports/check-ins.csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    (row,) = rows
    assert row["explains the actual of"] == world.plan_indicator.name
    assert row["actual date"] == actual.date.isoformat()
    assert row["state"] == "In progress"
