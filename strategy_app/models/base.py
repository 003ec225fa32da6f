"""Column types and mixins shared by every model: ids, timestamps, archiving."""

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

# How far the clock has been moved (services.evaluation.clock.travel): the demo's story and
# the tests write their changes at the story's dates. Never set while serving requests.
CLOCK_SHIFT: ContextVar[timedelta | None] = ContextVar("clock_shift", default=None)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC (moved when the clock travels)."""
    shift = CLOCK_SHIFT.get()
    now = datetime.now(UTC)
    return now if shift is None else now + shift


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IdMixin:
    """Surrogate primary key plus creation and update times."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ArchiveMixin:
    """Soft delete: the UI and API archive; an executive can restore."""

    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def enum_check(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    """A CHECK constraint that keeps a text column within a fixed set of values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)
