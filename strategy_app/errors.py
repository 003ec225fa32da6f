"""Error pages in the app's layout (JSON under /api/ and for /healthz); a 500 rolls back."""

from __future__ import annotations

from flask import Flask, render_template, request
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


def render_error(status: int, message: str, fields: dict | None = None):
    """An error answer: JSON for the API, a page in the layout otherwise."""
    if _wants_json():
        return {"error": {"status": status, "message": message, "fields": fields or {}}}, status
    return render_template(
        "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message
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
