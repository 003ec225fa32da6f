"""Response headers, session lifetimes, the pages' rate limit and the trusted proxy."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from strategy_app.extensions import db, login_manager
from strategy_app.services.plumbing import ratelimit
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


# Not counted by the pages' rate limit: static files, the health check (probes), and the API,
# which counts its own requests per token and per address.
_UNLIMITED_ENDPOINTS = frozenset({"main.healthz"})
RATE_WINDOW_SECONDS = 60


def _is_file() -> bool:
    """A static file: ours, or a blueprint's (Bootstrap's CSS and JS)."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


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


class TrustedProxyFix:
    """werkzeug's ProxyFix for requests that come from the trusted proxies only.

    Behind a TLS proxy every request comes from the proxy's address: X-Forwarded-For gives
    the client's (sign-in throttles and rate limits are per client, not one for everybody)
    and X-Forwarded-Proto tells that the request came over HTTPS (secure cookies, HSTS). A
    request from anywhere else keeps its own address: its headers could be forged.
    """

    def __init__(self, wsgi_app, trusted: str, x_for: int, x_proto: int):
        self.plain = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=x_for, x_proto=x_proto)
        self.trusted = [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in trusted.split(",")
            if part.strip()
        ]

    def _is_trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def __call__(self, environ, start_response):
        app = self.fixed if self._is_trusted(environ.get("REMOTE_ADDR")) else self.plain
        return app(environ, start_response)


def install_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from the configured proxies (PROXY_FIX_*), if any."""
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        app.wsgi_app = TrustedProxyFix(
            app.wsgi_app, app.config["PROXY_FIX_TRUSTED"], x_for=x_for, x_proto=x_proto
        )


def _signed_in_user_id() -> str | None:
    """The user id the session cookie names, without reading the database."""
    user_id = str(session.get("_user_id") or "").partition(".")[0]
    return user_id if user_id.isdigit() else None


def register(app: Flask) -> None:
    """Install the before/after request hooks."""

    @app.before_request
    def rate_limit_pages():
        # Per address and per signed-in user, in a short transaction that never waits on a
        # writer (see ratelimit.run_briefly); the API has its own limits.
        if request.blueprint == "api" or request.endpoint in _UNLIMITED_ENDPOINTS or _is_file():
            return None
        checks = []
        if app.config["WEB_RATE_LIMIT_PER_ADDRESS"]:
            address = request.remote_addr or "unknown"
            checks.append((f"web:addr:{address}", app.config["WEB_RATE_LIMIT_PER_ADDRESS"]))
        user_id = _signed_in_user_id()
        if user_id and app.config["WEB_RATE_LIMIT_PER_USER"]:
            checks.append((f"web:user:{user_id}", app.config["WEB_RATE_LIMIT_PER_USER"]))
        if not checks:
            return None
        verdict = ratelimit.hit_all(db.engine, checks, RATE_WINDOW_SECONDS)
        if not verdict.allowed:
            raise TooManyRequests(
                f"Too many requests in a short time. Try again in {verdict.retry_after} seconds.",
                retry_after=verdict.retry_after,
            )
        return None

    @app.before_request
    def enforce_session_lifetime():
        # The API never uses the session cookie (bearer tokens only), so it is not looked at.
        if request.blueprint == "api" or _is_file():
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
