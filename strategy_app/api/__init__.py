"""The JSON API v1 (DESIGN §5): bearer tokens, JSON in and out, OpenAPI from the code."""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from werkzeug.exceptions import HTTPException

from strategy_app.extensions import csrf, db
from strategy_app.services.plumbing.errors import PermissionDenied, ServiceError, StaleVersion

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API never reads the session cookie, only bearer tokens, so cross-site forgery has
# nothing to ride on; that is why it alone is exempt from CSRF tokens.
csrf.exempt(bp)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_ENDPOINTS = frozenset({"api.openapi_json", "api.docs"})


def error_body(status: int, message: str, fields: dict | None = None) -> dict:
    """The API's error shape."""
    return {"error": {"status": status, "message": message, "fields": fields or {}}}


@bp.before_request
def _authenticate():
    from strategy_app.api.auth import authenticate

    if request.endpoint in _OPEN_ENDPOINTS:
        return None
    authenticate()
    if request.method not in _READ_METHODS and g.api_token.scope != "write":
        raise PermissionDenied("write")
    return None


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    from strategy_app.api.auth import RateLimited

    db.session.rollback()
    body = error_body(exc.status, exc.message, exc.fields)
    headers = {}
    if isinstance(exc, StaleVersion):
        from strategy_app.api.routes import plan_out

        db.session.refresh(exc.current)
        body["current"] = plan_out([exc.current])[0]
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, PermissionDenied) and getattr(g, "api_user", None) is not None:
        from strategy_app import policy

        policy.record_refusal(g.api_user.id, exc.action, exc.obj, via="api")
        db.session.commit()
    return body, exc.status, headers


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    db.session.rollback()
    # Keep the exception's own headers (Allow on a 405, Retry-After), not its HTML type.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return error_body(exc.code or 500, exc.description or exc.name), exc.code or 500, headers


def register(app: Flask) -> None:
    """Attach the API blueprint (routes imported here so they register on bp)."""
    import strategy_app.api.health  # noqa: F401
    from strategy_app.api import routes  # noqa: F401

    app.register_blueprint(bp)
