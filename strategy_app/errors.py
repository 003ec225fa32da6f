"""Error pages in the app's layout (JSON under /api/ and for /healthz); a 500 rolls back.

When the database cannot be reached (stopped, restarting, or a SQLite file locked past the
busy timeout) the answer is a 503 with Retry-After: pages get a self-contained page that needs
no database (the usual layout loads the signed-in user), the API its error shape.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from strategy_app.database import committed_a_write
from strategy_app.extensions import db
from strategy_app.schemas.common import MAX_ID
from strategy_app.services.plumbing.errors import PermissionDenied, ServiceError

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid values",
    429: "Too many requests",
    500: "Server error",
    503: "Temporarily unavailable",
}
# What a lost, refused or timed-out database connection raises (psycopg and sqlite3 errors
# arrive wrapped as OperationalError or InterfaceError; TimeoutError: no pooled connection).
DATABASE_UNAVAILABLE = (
    sa.exc.OperationalError,
    sqlite3.OperationalError,  # raised unwrapped from connection and pool hooks
    psycopg.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)
SAVED_THEN_UNAVAILABLE = (
    "Your change was saved, but the database stopped answering just after, so the next page "
    "could not be shown. Please reload in a few seconds; there is no need to make it again."
)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The database is not answering just now, so nothing was read or saved. "
    "Please try again in a few seconds."
)


def get_or_404(model, ident: int, what: str, options: tuple = ()) -> Any:
    """The row of model with this id (loaded with options), or a 404 that says "There is no
    such <what>." (an id past any the database can hold is not looked up)."""
    found = db.session.get(model, ident, options=list(options)) if 1 <= ident <= MAX_ID else None
    if found is None:
        abort(404, description=f"There is no such {what}.")
    return found


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


# Why a signed-in person was refused, by role (DESIGN §4 in words).
WHY_REFUSED = {
    "viewer": "A viewer reads everything but changes nothing.",
    "member": "A member changes only the plans they own: their check-ins and actuals.",
    "lead": "A department lead changes the plans of their own department, with their "
    "check-ins and actuals; strategies, objectives, people and departments are the "
    "executives'.",
}
_LAST_STEP = re.compile(r"/(edit|archive|restore|new|check-in|upload|move/\w+|indicators/new)$")


def _ways_back(status: int) -> list[tuple[str, str]]:
    """Links out of a refusal: the thing's own page, the person's department, the dashboard."""
    links: list[tuple[str, str]] = []
    adapter = current_app.url_map.bind("localhost")
    parent = _LAST_STEP.sub("", request.path) if status == 403 else ""
    if parent and parent != request.path:
        with contextlib.suppress(Exception):
            endpoint, _ = adapter.match(parent, method="GET")
            if endpoint not in ("static",):
                links.append((parent, "Back to what you were looking at"))
    department = (
        getattr(current_user, "department", None) if current_user.is_authenticated else None
    )
    if department is not None and "departments.view" in current_app.view_functions:
        links.append(
            (
                url_for("departments.view", slug=department.slug),
                f"Your department: {department.name}",
            )
        )
    links.append((url_for("main.dashboard"), "The dashboard"))
    return links


def _rollback() -> None:
    """Roll back, even when the connection to roll back on is gone."""
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        db.session.close()


def unavailable() -> Response:
    """The 503 answer: JSON for the API, otherwise a page rendered without the database.

    When the request's change was committed before the database stopped answering (the page
    after a save reads it again), the answer says it was saved: "nothing was saved" would
    have the person make it twice."""
    saved = committed_a_write()
    message = SAVED_THEN_UNAVAILABLE if saved else UNAVAILABLE_MESSAGE
    if _wants_json():
        body = {"error": {"status": 503, "message": message, "fields": {}}}
        response = make_response(body, 503)
    else:
        # Straight from Jinja: render_template runs the context processors, and Flask-Login's
        # loads the signed-in user from the database.
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        html = template.render(message=message, request=request, saved=saved)
        response = make_response(html, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def render_error(status: int, message: str, fields: dict | None = None):
    """An error answer: JSON for the API, a page in the layout otherwise."""
    if _wants_json():
        return {"error": {"status": status, "message": message, "fields": fields or {}}}, status
    why = ""
    ways: list[tuple[str, str]] = []
    try:
        if status == 403 and current_user.is_authenticated:
            why = WHY_REFUSED.get(current_user.role, "")
        elif status == 404:
            why = "The address may be mistyped, or what it named is no longer there."
        ways = _ways_back(status) if status in (403, 404) else []
        page = render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Error"),
            message=message,
            why=why,
            ways=ways,
        )
    except DATABASE_UNAVAILABLE:  # the layout loads the signed-in user
        _rollback()
        return unavailable()
    return page, status


def _with_headers(answer, headers) -> Response:
    response = make_response(answer)
    if response.status_code != 503:  # the database went away: keep the 503's own headers
        response.headers.extend(headers)
    return response


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Keep the exception's own headers (Allow on a 405, Retry-After), not its HTML type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return _with_headers(render_error(exc.code or 500, exc.description or exc.name), headers)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if isinstance(exc, PermissionDenied) and current_user.is_authenticated:
            from strategy_app import policy

            policy.record_refusal(current_user.id, exc.action, exc.obj)
            db.session.commit()
        return render_error(exc.status, exc.message, exc.fields)

    def database_unavailable(exc: Exception):
        _rollback()
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        return unavailable()

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.teardown_appcontext
    def close_session(_exc):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier, run later). Its
        # rollback on a connection the server has just cut raises, and an error there, after
        # the answer was made, would reach gunicorn as a bare 500.
        try:
            db.session.remove()
        except DATABASE_UNAVAILABLE:
            db.session.registry.clear()  # the connection is gone; forget the session

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        _rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_SERVER_ERRORS", True):
            raise exc  # tests see the traceback; set PROPAGATE_SERVER_ERRORS=False to see the page
        return render_error(500, "Something went wrong on our side. Nothing was saved.")
