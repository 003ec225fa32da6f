"""Check-ins link the off-track actual they explain; the explanation becomes the actual's note

Revision ID: c15plain001
Revises: c17perf0001
Create Date: 2026-12-06 12:36:54.205672

The data step copies the explanations recorded so far (the audit log's "variance_explained"
events) into the notes of their actuals, when the note does not hold them yet, and links each
check-in such an event made to its actual. Downgrading drops the link and keeps the notes.
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c15plain001"
down_revision = "c17perf0001"
branch_labels = None
depends_on = None

audit = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("changes", sa.JSON),
)
measurements = sa.table(
    "measurements",
    sa.column("id", sa.Integer),
    sa.column("indicator_id", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("note", sa.Text),
)
check_ins = sa.table(
    "check_ins", sa.column("id", sa.Integer), sa.column("measurement_id", sa.Integer)
)


def _after(changes: dict, key: str):
    value = changes.get(key)
    return value[1] if isinstance(value, list) and len(value) == 2 else None


def copy_explanations(bind) -> None:
    """Copy the recorded explanations into their actuals' notes; link the check-ins."""
    events = bind.execute(
        sa.select(audit.c.entity_id, audit.c.changes)
        .where(audit.c.action == "variance_explained", audit.c.entity_type == "Indicator")
        .order_by(audit.c.id)
    ).all()
    for indicator_id, changes in events:
        if isinstance(changes, str):
            changes = json.loads(changes)
        day, explanation = _after(changes, "date"), _after(changes, "explanation")
        if indicator_id is None or not day or not explanation:
            continue
        row = bind.execute(
            sa.select(measurements.c.id, measurements.c.note).where(
                measurements.c.indicator_id == indicator_id,
                measurements.c.date == date.fromisoformat(day),
            )
        ).first()
        if row is None:
            continue
        note = row.note or ""
        if explanation not in note:
            added = f"Why off track: {explanation}"
            action = _after(changes, "action")
            if action:
                added += f"\nCorrective action: {action}"
            note = f"{note}\n\n{added}" if note else added
            bind.execute(measurements.update().where(measurements.c.id == row.id).values(note=note))
        check_in_id = _after(changes, "check_in_id")
        if check_in_id:
            bind.execute(
                check_ins.update()
                .where(check_ins.c.id == check_in_id)
                .values(measurement_id=row.id)
            )


def upgrade():
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("measurement_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_check_ins_measurement_id"), ["measurement_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_check_ins_measurement_id_measurements"),
            "measurements",
            ["measurement_id"],
            ["id"],
            ondelete="SET NULL",
        )
    copy_explanations(op.get_bind())


def downgrade():
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_check_ins_measurement_id_measurements"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_check_ins_measurement_id"))
        batch_op.drop_column("measurement_id")
