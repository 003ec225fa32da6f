"""Accounts: creating users and checking passwords (argon2id)."""

from __future__ import annotations

import functools
import gzip
import secrets
from importlib import resources

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from strategy_app.extensions import db
from strategy_app.models import ROLES, ApiToken, Department, User
from strategy_app.models.base import utcnow

_DEFAULT_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3)

MIN_PASSWORD, MAX_PASSWORD = 12, 128


class UserError(ValueError):
    """A user could not be created or changed; .fields maps field names to messages."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _hasher() -> PasswordHasher:
    if has_app_context():
        params = current_app.config.get("PASSWORD_HASH_PARAMS")
        if params:
            return PasswordHasher(**params)
    return _DEFAULT_HASHER


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively; we keep them lower-cased and trimmed."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """A salted argon2id hash of the password."""
    return _hasher().hash(password)


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A well-formed hash of a random password, made with the given parameters: verifying
    against it when the email is unknown costs as much as a real check, so response times do
    not reveal which emails exist. One per set of parameters, so that it costs what the real
    hashes made with the current settings cost."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def check_password(user: User | None, password: str) -> bool:
    """True when the password matches; takes as long for an unknown user."""
    if user is None:
        hasher = _hasher()
        stored = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    else:
        stored = user.password_hash
    try:
        return _hasher().verify(stored, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-cased), loaded once."""
    data = resources.files("strategy_app.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable).

    Length 12–128 and not a well-known password; no composition rules (NIST SP 800-63B).
    """
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        problems.append(f"Use at most {MAX_PASSWORD} characters.")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        problems.append("This password is too common; choose one that is harder to guess.")
    elif email and lowered in {normalize_email(email), normalize_email(email).split("@")[0]}:
        problems.append("Do not use your email address as your password.")
    return problems


def change_password(user: User, new_password: str, *, must_change: bool = False) -> int:
    """Set a new password, end every existing session of the user and revoke their API
    tokens (whoever learnt the old password may have made one); returns the tokens revoked.
    The caller commits."""
    if problems := password_problems(new_password, user.email):
        raise UserError({"new_password": problems})
    user.password_hash = hash_password(new_password)
    user.must_change_password = must_change
    user.failed_logins = 0
    user.locked_until = None
    user.end_sessions()
    return revoke_tokens(user)


def revoke_tokens(user: User) -> int:
    """Revoke every live API token of user (each revocation audited); returns how many."""
    now = utcnow()
    live = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in live:
        token.revoked_at = now
    return len(live)


def find_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str, name: str, role: str, password: str, department_slug: str | None = None
) -> User:
    """Validate and add a user (the caller commits)."""
    errors: dict[str, list[str]] = {}
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        errors["email"] = ["Enter a valid email address."]
    elif find_by_email(email):
        errors["email"] = ["A user with this email already exists."]
    if not (name or "").strip() or len(name) > 120:
        errors["name"] = ["Enter a name of 1 to 120 characters."]
    if role not in ROLES:
        errors["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    department = None
    if department_slug:
        department = db.session.scalar(
            sa.select(Department).where(Department.slug == department_slug)
        )
        if department is None:
            errors["department"] = [f"No department with slug {department_slug!r}."]
    elif role in ("lead", "member"):
        errors["department"] = ["Leads and members need a department."]
    if problems := password_problems(password or "", email):
        errors["password"] = problems
    if errors:
        raise UserError(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        department=department,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user
