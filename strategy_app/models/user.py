"""People who sign in, and their API tokens."""

from __future__ import annotations

import secrets
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


def new_session_token() -> str:
    """A random token that ties session cookies to the user's current sign-in generation."""
    return secrets.token_hex(16)


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
    # Part of the session cookie's user id: changing it (sign-out, new password,
    # deactivation) makes every copy of an older cookie useless.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    must_change_password: Mapped[bool] = mapped_column(default=False)

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

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: user id and current session token."""
        return f"{self.id}.{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every session of this user (a new token for future sign-ins)."""
        self.session_token = new_session_token()

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


class LoginThrottle(IdMixin, db.Model):
    """Failed sign-ins per key (an account at an address, or an address), across workers."""

    __tablename__ = "login_throttles"
    __audit__ = False  # sign-ins are audited as login events instead

    key: Mapped[str] = mapped_column(sa.String(400), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitBucket(IdMixin, db.Model):
    """Requests counted per key in the current fixed window (shared by every worker)."""

    __tablename__ = "rate_limit_buckets"
    __audit__ = False  # counters, not user data

    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    window_start: Mapped[int] = mapped_column(sa.BigInteger)
    count: Mapped[int] = mapped_column(default=0)
