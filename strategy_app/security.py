"""Response headers and session lifetimes applied to every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from strategy_app.extensions import db, login_manager
from strategy_app.services.plumbing.audit import set_actor

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ]
)


# What a user who must change a temporary password may still reach.
_ALLOWED_BEFORE_CHANGE = frozenset({"account.password", "auth.logout", "main.healthz", "static"})


def _now() -> float:
    return datetime.now(UTC).timestamp()


def start_session() -> None:
    """Mark the start of a fresh signed-in session (called at sign-in)."""
    session.clear()
    session.permanent = True
    session["iat"] = session["seen"] = _now()


def _session_expired(app: Flask) -> bool:
    now = _now()
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]).total_seconds()
    absolute = timedelta(hours=app.config["SESSION_MAX_HOURS"]).total_seconds()
    started, seen = session.get("iat", 0), session.get("seen", 0)
    return now - seen > idle or now - started > absolute


def signed_in_only():
    """A blueprint's before_request hook: every page of it needs a signed-in user (the actor of
    what the request writes is set for every signed-in request by register() below)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def register(app: Flask) -> None:
    """Install the before/after request hooks."""

    @app.before_request
    def enforce_session_lifetime():
        # The API never uses the session cookie (bearer tokens only), so it is not looked at.
        if request.blueprint == "api" or request.endpoint == "static":
            return None
        if not current_user.is_authenticated:
            return None
        if _session_expired(app):
            logout_user()
            session.clear()
            flash("Your session has ended. Please sign in again.", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        session["seen"] = _now()
        # Every change this request makes is recorded in the audit log under this user.
        set_actor(db.session, current_user.id)
        if current_user.must_change_password and request.endpoint not in _ALLOWED_BEFORE_CHANGE:
            flash("Choose a new password before you go on.", "warning")
            return redirect(url_for("account.password"))
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and "Cache-Control" not in h:
            # Pages carry private data: never keep them in a shared or browser cache.
            h["Cache-Control"] = "no-store"
        return response
