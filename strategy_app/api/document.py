"""The API's own description: /openapi.json and the readable /docs, made from the registry."""

from __future__ import annotations

import functools

from flask import current_app, render_template, url_for

from strategy_app.api import bp, outputs
from strategy_app.api.registry import openapi_document, operation


@operation(
    bp,
    "GET",
    "/openapi.json",
    summary="This document (OpenAPI 3.1), generated from the code; no token needed",
    tag="meta",
    response=outputs.OpenApiOut,
    errors=(),
    auth=False,
)
def openapi_json():
    """The OpenAPI document, generated from the operations registered here."""
    return _document(current_app.config.get("API_VERSION", "1.0.0"))


@functools.cache
def _document(version: str) -> dict:
    # Built once per process: the operations do not change, and generating the schemas
    # costs a few hundred milliseconds, too much for an endpoint open to anyone.
    return openapi_document(bp.url_prefix, "Strategy tracker API", version)


@bp.route("/docs")
def docs():
    """A readable reference of the API, rendered from the same document."""
    doc = _document(current_app.config.get("API_VERSION", "1.0.0"))
    return render_template("api/docs.html", doc=doc, spec_url=url_for("api.openapi_json"))
