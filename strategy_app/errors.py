"""Error pages in the app's layout (JSON under /api/ and for /healthz); a 500 rolls back."""

from __future__ import annotations

import contextlib
import re

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from strategy_app.extensions import db
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
}


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


def render_error(status: int, message: str, fields: dict | None = None):
    """An error answer: JSON for the API, a page in the layout otherwise."""
    if _wants_json():
        return {"error": {"status": status, "message": message, "fields": fields or {}}}, status
    why = ""
    if status == 403 and current_user.is_authenticated:
        why = WHY_REFUSED.get(current_user.role, "")
    elif status == 404:
        why = "The address may be mistyped, or what it named is no longer there."
    ways = _ways_back(status) if status in (403, 404) else []
    return render_template(
        "errors/error.html",
        status=status,
        title=TITLES.get(status, "Error"),
        message=message,
        why=why,
        ways=ways,
    ), status


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body, status = render_error(exc.code or 500, exc.description or exc.name)
        # Keep the exception's own headers (Allow on a 405, Retry-After), not its HTML type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if isinstance(exc, PermissionDenied) and current_user.is_authenticated:
            from strategy_app.services.plumbing.audit import record

            record(
                db.session,
                "refused",
                type(exc.obj).__name__ if exc.obj is not None else "-",
                getattr(exc.obj, "id", None),
                {"action": exc.action},
                user_id=current_user.id,
            )
            db.session.commit()
        return render_error(exc.status, exc.message, exc.fields)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_SERVER_ERRORS", True):
            raise exc  # tests see the traceback; set PROPAGATE_SERVER_ERRORS=False to see the page
        return render_error(500, "Something went wrong on our side. Nothing was saved.")
