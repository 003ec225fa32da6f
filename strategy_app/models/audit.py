"""The audit log: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from strategy_app.extensions import db
from strategy_app.models.base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One recorded change or security event; never edited, never archived."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(40))
    entity_type: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[int | None] = mapped_column()
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class DataVersion(db.Model):
    """One row whose token changes with every committed change of the data.

    Computed figures are cached by this token (services.data_version): a worker reads it
    with one cheap query and knows whether what it computed earlier still stands.
    """

    __tablename__ = "data_versions"
    __audit__ = False  # bookkeeping written by the audit hook itself

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    token: Mapped[str] = mapped_column(sa.String(32))
    # Counts the committed changes: the DataChange rows numbered up to it are committed.
    seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # The number of the last change that touched everything (a figure made before it is
    # computed afresh, without reading the changes).
    everything_seq: Mapped[int] = mapped_column(default=0, server_default="0")


class DataChange(db.Model):
    """What one committed change touched, numbered in commit order (DataVersion.seq).

    A worker that computed a figure at change N and now sees change N + k reads the k rows
    after N and recomputes only what they touched (services.data_version), instead of
    everything. Only the last few hundred are kept: an older figure is computed afresh.
    """

    __tablename__ = "data_changes"
    __audit__ = False  # bookkeeping written by the audit hook itself

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # {"all": true} or {"<entity type>": [ids], "refs": {"objective_id": [ids], ...}}
    touched: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # When it was recorded (the audit log's clock): a past day before it is not moved by it.
    at: Mapped[datetime] = mapped_column(UTCDateTime())
