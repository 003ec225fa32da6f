"""Declare API operations once: the route, its input and output models, and its OpenAPI entry."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from strategy_app.schemas.common import MAX_ID, Day, parse
from strategy_app.services.evaluation import history
from strategy_app.services.plumbing.errors import NotFound, ServiceError

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


class _AsOf(BaseModel):
    """?as_of= of a read whose own query does not name it."""

    model_config = ConfigDict(extra="ignore")
    as_of: Day | None = None


def _enter_past(args: Any) -> None:
    """Every read answers as of ?as_of=D, a past day, from the world as it stood then.

    The one place the API honours it (DESIGN §7): the view's queries then read the past.
    """
    if "as_of" not in request.args:
        return
    if args is None or "as_of" not in type(args).model_fields:
        args = parse(_AsOf, request.args.to_dict())  # a bad date is a 422 here too
    if args.as_of is not None:
        history.enter(args.as_of)


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
    example: Any = None
    error_models: dict[int, type[BaseModel]] = field(default_factory=dict)
    operation_id: str = ""  # the view's name, which is also its endpoint


OPERATIONS: list[Operation] = []


def read_json_body() -> bytes:
    """The raw body, after proving it is JSON (400 otherwise)."""
    raw = request.get_data(cache=True)
    try:
        # UTF-8 only (RFC 8259), without a byte-order mark; the document must also be text
        # that UTF-8 can carry: an escaped lone surrogate ("\\ud800") is refused here too.
        doc = json.loads(raw.decode("utf-8"))
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeError:
        raise MalformedJSON("The body is not valid JSON: it must be UTF-8 text.") from None
    except ValueError as exc:
        raise MalformedJSON(f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedJSON("The body is not valid JSON: it is nested too deeply.") from None
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
    auth: bool = True,
    example: Any = None,
    error_models: dict[int, type[BaseModel]] | None = None,
) -> Callable:
    """Register a view on bp and in the OpenAPI document; parses body and query for it.

    parse_body=False: the body is documented by `body` but the view reads it itself with
    read_json_body() (the batch does, to name every bad item rather than the first).
    auth=False: documented as open (the blueprint lets it through without a token).
    example: a request body shown in the document (and sent by the suite's fuzzing).
    error_models: a body other than the plain error for some status (409: the current plan).
    """
    op = Operation(
        method,
        path,
        summary,
        tag,
        body,
        query,
        response,
        status,
        errors,
        auth=auth,
        description=description,
        example=example,
        error_models=error_models or {},
    )
    OPERATIONS.append(op)

    path_ids = re.findall(r"<int:(\w+)>", path)

    def wrap(view: Callable) -> Callable:
        op.operation_id = view.__name__

        @functools.wraps(view)
        def handler(**kwargs: Any):
            for name in path_ids:
                # Ids are bounded as the document says; a larger one names nothing (404).
                # (A bounded URL converter would answer 405: Werkzeug checks the method
                # before the converter, and the other methods' rules match the same URL.)
                if not 1 <= kwargs[name] <= MAX_ID:
                    raise NotFound(f"No such resource: {name} {kwargs[name]}.")
            if query is not None:
                kwargs["args"] = parse(query, request.args.to_dict())
            if body is not None and parse_body:
                kwargs["data"] = parse(body, read_json_body(), json=True)
            if method == "GET":
                _enter_past(kwargs.get("args"))
            return view(**kwargs)

        bp.add_url_rule(path, endpoint=f"{view.__name__}", view_func=handler, methods=[method])
        return handler

    return wrap


def openapi_path(path: str) -> str:
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
        models.update((m, "serialization") for m in op.error_models.values())
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
            "operationId": op.operation_id,
        }
        if op.description:
            entry["description"] = op.description
        params = [
            {
                "name": n,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
            for n in re.findall(r"<int:(\w+)>", op.path)
        ]
        if op.query:
            params += _query_params(op.query)
        if params:
            entry["parameters"] = params
        if op.body:
            media: dict[str, Any] = {"schema": ref[(op.body, "validation")]}
            if op.example is not None:
                media["example"] = op.example
            entry["requestBody"] = {"required": True, "content": {"application/json": media}}
        ok: dict[str, Any] = {"description": "Success"}
        if op.response:
            ok["content"] = {"application/json": {"schema": ref[(op.response, "serialization")]}}
        responses = {str(op.status): ok}
        for code in op.errors:
            model = op.error_models.get(code, Error)
            responses[str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": ref[(model, "serialization")]}},
            }
        entry["responses"] = responses
        if op.auth:
            entry["security"] = [{"bearerAuth": []}]
        paths.setdefault(prefix + openapi_path(op.path), {})[op.method.lower()] = entry
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
