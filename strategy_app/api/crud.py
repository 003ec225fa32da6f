"""A CRUD resource declared once: its five routes, views and OpenAPI entries made from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, g
from pydantic import BaseModel

from strategy_app.api import outputs
from strategy_app.api.common import (
    READ_ERRORS,
    WRITE_ERRORS,
    AsOfQuery,
    ListQuery,
    as_of_date,
    page_of,
    paged,
    saved,
)
from strategy_app.api.registry import operation
from strategy_app.extensions import db
from strategy_app.models import User
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import NotFound, ValidationFailed
from strategy_app.services.writes import cascade

Filter = Callable[[sa.Select, Any], sa.Select]


@dataclass(frozen=True)
class Resource:
    """What the API needs to know of a resource to list, read, create, change and archive it.

    The routes are GET|POST <path> and GET|PATCH|DELETE <path>/<id>; their endpoints (and
    operationIds) are list_<path>, create_/get_/patch_/delete_<noun>, with - and spaces as _.
    """

    path: str  # "/action-plans"; also the OpenAPI tag
    noun: str  # "action plan": endpoints and summaries
    model: type  # the SQLAlchemy model
    listing: str  # the list's summary
    examples: tuple[dict, dict]  # a POST and a PATCH body, shown in the document
    schemas: tuple[type[BaseModel], type[BaseModel], type[BaseModel]]  # POST, PATCH, response
    writes: tuple[Callable[[User, Any], Any], Callable[[User, Any, Any], Any]]  # create, update
    out: Callable[[list[Any], date], list[dict]]  # objects as JSON, computed at a date
    # The policy action guarding changes: a PATCH's nulls are refused here, for the services
    # that would store them, and DELETE is cascade.archive. Without it the services decide.
    permission: str | None = None
    archive: Callable[[User, Any], None] | None = None  # DELETE, when permission is None
    filters: type[ListQuery] = ListQuery  # the list's query: fields beyond ListQuery filter
    joins: dict[str, Filter] = field(default_factory=dict)  # filters that are no column of model
    load: tuple = ()  # loader options for every read (relations the JSON shows)
    get_query: type[BaseModel] | None = AsOfQuery  # the query of GET <path>/<id>
    summaries: dict[str, str] = field(default_factory=dict)  # by view: list, create, get, ...
    patch_doc: dict[str, Any] = field(default_factory=dict)  # more of operation() for PATCH

    def one(self, ident: int, load: bool = True) -> Any:
        """The object with this id, archived or not (load: with what its JSON shows)."""
        obj = db.session.get(self.model, ident, options=self.load if load else ())
        if obj is None:
            raise NotFound(f"No {self.model.__name__} with id {ident}.")
        return obj

    def read(self, objects: list[Any], args: BaseModel | None) -> list[dict]:
        """Every GET's answer: the objects as JSON, at the date the query asks for."""
        return self.out(objects, as_of_date(args))

    def rows(self, args: ListQuery) -> tuple[list[Any], int]:
        """The page of objects a list asks for, filtered, and their total."""
        stmt = sa.select(self.model).options(*self.load)
        filters = [name for name in self.filters.model_fields if name not in ListQuery.model_fields]
        for name in filters:
            if value := getattr(args, name):
                join = self.joins.get(name)
                stmt = join(stmt, value) if join else stmt.where(getattr(self.model, name) == value)
        return page_of(stmt, args, self.model)


RESOURCES: list[Resource] = []

# Fields whose null the services turn into a value of their own (tags: null → no tags).
_NULL_MEANS_EMPTY = frozenset({"tags", "links", "milestones"})


def refuse_nulls(data: BaseModel, obj: Any, action: str) -> None:
    """A PATCH that sets a column the database requires to null is a 422, not a 500.

    (The patch schemas accept null for every field, as "not sent" is their default; the
    permission is checked first so that a refused write stays a 403.)
    """
    cascade.check(g.api_user, action, obj)
    columns = type(obj).__table__.c
    bad = {
        name: ["may not be null"]
        for name in data.model_fields_set
        if getattr(data, name) is None
        and name not in _NULL_MEANS_EMPTY
        and name in columns
        and not columns[name].nullable
    }
    if bad:
        raise ValidationFailed(bad)


def _views(res: Resource) -> dict[str, Callable]:
    """The five views of res, by kind; every GET answers through res.read."""

    def list_(args: ListQuery):
        objects, total = res.rows(args)
        return paged(res.read(objects, args), args, total)

    def get(id: int, args: BaseModel | None = None):
        return res.read([res.one(id)], args)[0]

    def create(data: BaseModel):
        obj = res.writes[0](g.api_user, data)
        return saved(lambda: res.out([res.one(obj.id)], today())[0]), 201

    def patch(id: int, data: BaseModel):
        obj = res.one(id, load=False)
        if res.permission is not None:
            refuse_nulls(data, obj, res.permission)
        res.writes[1](g.api_user, obj, data)
        return saved(lambda: res.out([res.one(id)], today())[0])

    def delete(id: int):
        obj = res.one(id, load=False)
        if res.permission is not None:
            cascade.archive(g.api_user, obj, res.permission)
        else:
            res.archive(g.api_user, obj)
        db.session.commit()
        return "", 204

    return {"list": list_, "create": create, "get": get, "patch": patch, "delete": delete}


# Each view: its method, whether it acts on one item (<path>/<id>), endpoint and summary.
_KINDS = {
    "list": ("GET", False, "list_{plural}", "{listing}"),  # the resource's own summary
    "create": ("POST", False, "create_{noun}", "Add {a} {words}"),
    "get": ("GET", True, "get_{noun}", "One {words}"),
    "patch": ("PATCH", True, "patch_{noun}", "Change {a} {words}"),
    "delete": ("DELETE", True, "delete_{noun}", "Archive {a} {words}"),
}


def declare(bp: Blueprint, res: Resource) -> Resource:
    """Register res's five operations on bp, and so in the OpenAPI document."""
    create_in, patch_in, response = res.schemas
    docs = {
        "list": {"query": res.filters, "response": outputs.Page[response]},
        "create": {"body": create_in, "example": res.examples[0], "status": 201},
        "get": {"query": res.get_query},
        "patch": {"body": patch_in, "example": res.examples[1], **res.patch_doc},
        "delete": {"status": 204, "response": None},
    }
    names = {
        "plural": res.path.strip("/").replace("-", "_"),
        "noun": res.noun.replace(" ", "_"),
        "words": res.noun,
        "a": "an" if res.noun[0] in "aeiou" else "a",
        "listing": res.listing,
    }
    for kind, view in _views(res).items():
        method, on_item, endpoint, summary = _KINDS[kind]
        view.__name__ = view.__qualname__ = endpoint.format(**names)
        path = f"{res.path}/<int:id>" if on_item else res.path
        errors = READ_ERRORS if method == "GET" else WRITE_ERRORS
        doc = {"errors": errors, "response": response, **docs[kind]}
        summary = res.summaries.get(kind) or summary.format(**names)
        operation(bp, method, path, summary=summary, tag=res.path.strip("/"), **doc)(view)
    RESOURCES.append(res)
    return res
