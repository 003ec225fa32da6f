"""Declare API operations once: the route, its input and output models, and its OpenAPI entry."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from strategy_app.schemas.common import parse
from strategy_app.services.errors import ServiceError

COMMON_ERRORS = (400, 401, 403, 404, 413, 422, 429)
ERROR_TEXT = {
    400: "Malformed request (for example broken JSON)",
    401: "Missing, unknown, expired or revoked token",
    403: "Not allowed for this token or user",
    404: "No such resource",
    409: "Stale version: the current resource is returned",
    413: "Request too large",
    422: "Invalid values; `fields` says which",
    429: "Rate-limited; see Retry-After",
}


class MalformedJSON(ServiceError):
    """The body is not JSON at all (400)."""

    status = 400


@dataclass
class Operation:
    """One documented API operation."""

    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = COMMON_ERRORS
    auth: bool = True
    description: str = ""
    extra_params: list[dict] = field(default_factory=list)


OPERATIONS: list[Operation] = []


def read_json_body() -> bytes:
    """The raw body, after proving it is JSON (400 otherwise)."""
    raw = request.get_data(cache=True)
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJSON(f"The body is not valid JSON: {exc}") from None
    return raw


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = COMMON_ERRORS,
    description: str = "",
    parse_body: bool = True,
) -> Callable:
    """Register a view on bp and in the OpenAPI document; parses body and query for it.

    parse_body=False: the body is documented by `body` but the view reads it itself with
    read_json_body() (the batch does, to name every bad item rather than the first).
    """
    op = Operation(
        method, path, summary, tag, body, query, response, status, errors, description=description
    )
    OPERATIONS.append(op)

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def handler(**kwargs: Any):
            if query is not None:
                kwargs["args"] = parse(query, request.args.to_dict())
            if body is not None and parse_body:
                kwargs["data"] = parse(body, read_json_body(), json=True)
            return view(**kwargs)

        bp.add_url_rule(path, endpoint=f"{view.__name__}", view_func=handler, methods=[method])
        return handler

    return wrap


def _openapi_path(path: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def _query_params(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": prop,
                "description": prop.pop("description", ""),
            }
        )
    return params


def openapi_document(prefix: str, title: str, version: str) -> dict:
    """The OpenAPI 3.1 document of every registered operation."""
    models: set[tuple[type[BaseModel], str]] = set()
    for op in OPERATIONS:
        if op.body:
            models.add((op.body, "validation"))
        if op.response:
            models.add((op.response, "serialization"))
    from strategy_app.api.outputs import Error

    models.add((Error, "serialization"))
    ordered = sorted(models, key=lambda m: (m[0].__name__, m[1]))
    refs, defs = models_json_schema(ordered, ref_template="#/components/schemas/{model}")
    ref = {key: value for key, value in refs.items()}

    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{op.tag}_{len(paths)}",
        }
        if op.description:
            entry["description"] = op.description
        params = [
            {
                "name": n,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            }
            for n in re.findall(r"<int:(\w+)>", op.path)
        ]
        if op.query:
            params += _query_params(op.query)
        if params:
            entry["parameters"] = params
        if op.body:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref[(op.body, "validation")]}},
            }
        ok: dict[str, Any] = {"description": "Success"}
        if op.response:
            ok["content"] = {"application/json": {"schema": ref[(op.response, "serialization")]}}
        responses = {str(op.status): ok}
        for code in op.errors:
            responses[str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": ref[(Error, "serialization")]}},
            }
        entry["responses"] = responses
        if op.auth:
            entry["security"] = [{"bearerAuth": []}]
        paths.setdefault(prefix + _openapi_path(op.path), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Strategy tracker JSON API. Authenticate with "
            "`Authorization: Bearer <token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
