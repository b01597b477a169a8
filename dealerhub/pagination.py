"""List objects: ``limit``, ``starting_after``/``ending_before`` cursors and ``created`` ranges,
newest first, as in the API conventions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.schemas import TIMESTAMP
from dealerhub.search import FieldSpec, SearchQueryError, decode_page, encode_page, parse, to_sql


class ListFilterArgsSchema(Schema):
    """``limit`` and the ``created`` range: what lists and searches (paged by ``page``, not by
    cursors) share."""

    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    created_gt = fields.Integer(data_key="created[gt]", validate=TIMESTAMP)
    created_gte = fields.Integer(data_key="created[gte]", validate=TIMESTAMP)
    created_lt = fields.Integer(data_key="created[lt]", validate=TIMESTAMP)
    created_lte = fields.Integer(data_key="created[lte]", validate=TIMESTAMP)


class ListArgsSchema(ListFilterArgsSchema):
    """Query arguments shared by every list endpoint; areas subclass it to add filters."""

    starting_after = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "An object id: the page after it (not with ending_before)."},
    )
    ending_before = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "An object id: the page before it (not with starting_after)."},
    )

    @validates_schema
    def _one_cursor(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data.get("starting_after") and data.get("ending_before"):
            raise ValidationError(
                "starting_after and ending_before cannot be used together.", "ending_before"
            )


def created_filters(model: Any, args: Mapping[str, Any]) -> list[Any]:
    col = model.created
    ops: dict[str, Callable[[Any], Any]] = {
        "created_gt": col.__gt__,
        "created_gte": col.__ge__,
        "created_lt": col.__lt__,
        "created_lte": col.__le__,
    }
    return [op(args[name]) for name, op in ops.items() if args.get(name) is not None]


def paginate(
    session: Session,
    stmt: Select[Any],
    model: Any,
    args: Mapping[str, Any],
    *,
    url: str,
    render: Callable[[Any], Any] = lambda obj: obj,
) -> dict[str, Any]:
    """Run ``stmt`` (already scoped to the tenant and filtered) as one page of a list object.

    Order is ``(created, id)`` descending; a cursor is an object id whose position is looked
    up within the same scoped statement, so a foreign id is simply "not found" (404
    ``resource_missing``, as for any id that names no object).
    """
    limit = int(args.get("limit", 10))
    stmt = stmt.where(*created_filters(model, args))
    cursor_id = args.get("starting_after") or args.get("ending_before")
    backwards = bool(args.get("ending_before"))
    if cursor_id:
        anchor = session.execute(
            stmt.with_only_columns(model.created, model.id).where(model.id == cursor_id)
        ).first()
        if anchor is None:
            param = "ending_before" if backwards else "starting_after"
            raise NotFound(f"No such object: '{cursor_id}'", param=param)
        created, id_ = anchor
        if backwards:
            stmt = stmt.where(
                or_(model.created > created, and_(model.created == created, model.id > id_))
            )
        else:
            stmt = stmt.where(
                or_(model.created < created, and_(model.created == created, model.id < id_))
            )
    order = (
        (model.created.asc(), model.id.asc())
        if backwards
        else (
            model.created.desc(),
            model.id.desc(),
        )
    )
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    return {"object": "list", "data": [render(r) for r in rows], "has_more": has_more, "url": url}


def search(
    session: Session,
    stmt: Select[Any],
    model: Any,
    args: Mapping[str, Any],
    *,
    searchable: Mapping[str, FieldSpec],
    url: str,
    render: Callable[[Any], Any] = lambda obj: obj,
) -> dict[str, Any]:
    """Run a Stripe search query (``args["query"]``, ``limit``, ``page``) over ``stmt``.

    Results are read straight from the tables, so they are consistent immediately after a
    write (Stripe's search lags up to a minute).
    """
    limit = int(args.get("limit", 10))
    try:
        query = parse(args.get("query", ""))
        condition = to_sql(query, searchable, getattr(model, "metadata_", None))
        offset = decode_page(args["page"]) if args.get("page") else 0
    except SearchQueryError as exc:
        param = "page" if "page token" in exc.message else "query"
        raise InvalidRequest(exc.message, param=param, code="search_query_invalid") from exc
    rows = list(
        session.scalars(
            stmt.where(condition)
            .order_by(model.created.desc(), model.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    return {
        "object": "search_result",
        "data": [render(r) for r in rows[:limit]],
        "has_more": has_more,
        "next_page": encode_page(offset + limit) if has_more else None,
        "url": url,
    }


class SearchArgsSchema(Schema):
    query = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    page = fields.String(validate=validate.Length(min=1, max=100))
