"""People who sign in, and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import IdMixin, UTCDateTime, enum_check

if TYPE_CHECKING:
    from strategy_app.models.org import Department

ROLES = ("executive", "lead", "member", "viewer")
TOKEN_SCOPES = ("read", "write")


class User(UserMixin, IdMixin, db.Model):
    """A signed-in person with one role; leads and members belong to a department."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default="viewer")
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])

    __table_args__ = (
        # Emails are kept lower-cased, so the plain unique constraint is case-insensitive.
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        enum_check("role", ROLES, "role_valid"),
        sa.CheckConstraint(
            "role NOT IN ('lead', 'member') OR department_id IS NOT NULL",
            name="department_required",
        ),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_positive"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(IdMixin, db.Model):
    """A personal bearer token; only its hash is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(128), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(10), default="read")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (enum_check("scope", TOKEN_SCOPES, "scope_valid"),)
