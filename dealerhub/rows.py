"""How new rows are built and written: the base of every table model, and the flush step that
INSERTs new objects with one prebuilt statement per table.

A payment request makes three rows (payment method, intent, charge). SQLModel's constructor
and SQLAlchemy's unit of work cost that request more than its INSERTs and its COMMIT
together: both are general machinery (validation hooks, change history, dependency sorting,
server-generated keys) that rows with app-assigned string ids and no relationships do not
need. The session stays the one way to add objects; only the mechanics are cheaper.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from copy import deepcopy
from functools import cache
from typing import Any, NamedTuple

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, Table, event, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

_IMMUTABLE = (str, int, float, bool, type(None), enum.Enum)


class Row(SQLModel):
    """Base of every table model. Construction writes the fields straight into the instance,
    which is where SQLAlchemy reads a new row's values at INSERT and where it writes a loaded
    row's. SQLModel's own constructor sets each field through pydantic's and SQLAlchemy's
    ``__setattr__`` instead (it does not validate table models either). Unknown keyword
    arguments are an error here, where SQLModel would drop them silently."""

    def __init__(self, **data: Any) -> None:
        values = self.__dict__
        for name, default, factory in _defaults(type(self)):
            if name in data:
                values[name] = data.pop(name)
            elif factory is not None:
                values[name] = factory()
            elif default is not PydanticUndefined:
                values[name] = default if isinstance(default, _IMMUTABLE) else deepcopy(default)
        if data:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(data))}")


@cache
def _defaults(model: type[Row]) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    return tuple(
        (name, field.default, field.default_factory)  # type: ignore[misc]
        for name, field in model.model_fields.items()
    )


class _Plan(NamedTuple):
    insert: Insert
    order: int  # the table's place in foreign-key order (parents first)
    columns: tuple[tuple[str, str], ...]  # (attribute, column) pairs
    keys: tuple[str, ...]  # primary-key attributes


@cache
def _plan(model: type[Row]) -> _Plan:
    mapper = sa_inspect(model)
    table: Table = mapper.local_table
    return _Plan(
        insert(table),
        list(SQLModel.metadata.sorted_tables).index(table),
        tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs),
        tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
    )


@event.listens_for(Session, "before_flush")
def _insert_new_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    """INSERT the session's new rows, parents first, and make them persistent.

    Savepoints are left to the unit of work: there, a failed INSERT is expected to be
    caught and rolled back to the savepoint (inbound-event deduplication), and the unit of
    work's bookkeeping is what puts the objects back the way they were."""
    if session.in_nested_transaction():
        return
    batches: dict[tuple[type[Row], frozenset[str]], list[Row]] = {}
    for obj in session.new:
        if isinstance(obj, Row) and all(
            obj.__dict__.get(key) is not None for key in _plan(type(obj)).keys
        ):
            batches.setdefault((type(obj), frozenset(obj.__dict__)), []).append(obj)
    if not batches:
        return
    conn = session.connection()
    for (model, _), objs in sorted(batches.items(), key=lambda item: _plan(item[0][0]).order):
        plan = _plan(model)
        rows = [
            {column: obj.__dict__[attr] for attr, column in plan.columns if attr in obj.__dict__}
            for obj in objs
        ]
        conn.execute(plan.insert, rows if len(rows) > 1 else rows[0])
        # The unit of work's own step after its INSERTs: pending -> persistent, recorded in
        # the transaction so that a rollback makes the objects transient again. It is not
        # public API (tests/test_rows.py pins the behaviour); the public way (expunge,
        # make_transient_to_detached, add) walks cascades twice per object and costs a
        # payment request about 50 us more.
        session._register_persistent({sa_inspect(obj) for obj in objs})
