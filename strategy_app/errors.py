"""Error pages in the app's layout (JSON for the API); a 500 rolls the session back."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from strategy_app.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(status: int, message: str):
    if _wants_json():
        return {"error": {"status": status, "message": message}}, status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _render(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_SERVER_ERRORS", True):
            raise exc
        return _render(500, "Something went wrong on our side. Nothing was saved.")
