"""Personal API tokens: made once, stored as a hash, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import TOKEN_SCOPES, ApiToken, User
from strategy_app.models.base import utcnow

DEFAULT_DAYS = 90
MAX_DAYS = 366
PREFIX = "stk_"


def token_hash(token: str) -> str:
    """SHA-256 of the token: tokens are long random strings, so a slow hash adds nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str, scope: str, days: int = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    """Add a token for user and return it with its plain text (shown once; caller commits)."""
    errors = []
    if scope not in TOKEN_SCOPES:
        errors.append(f"scope must be one of {', '.join(TOKEN_SCOPES)}")
    if scope == "write" and not policy.can(user, policy.API_WRITE):
        errors.append("this user may only have read tokens")
    if not 1 <= days <= MAX_DAYS:
        errors.append(f"days must be between 1 and {MAX_DAYS}")
    if not (name or "").strip() or len(name) > 120:
        errors.append("name must have 1 to 120 characters")
    if errors:
        raise ValueError("; ".join(errors))
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        scope=scope,
        token_hash=token_hash(plain),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    return token, plain
