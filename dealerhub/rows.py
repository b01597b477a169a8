"""The base of every table model: construction that writes the fields into the instance.

A payment request builds three rows (payment method, intent, charge). SQLModel's constructor
sets each field through pydantic's and SQLAlchemy's ``__setattr__``, which cost that request
more than its INSERTs; :class:`Row` writes the column fields straight into the instance
instead. Relationships are assigned as attributes, so SQLAlchemy's instrumentation sees them
(back references, cascades, foreign keys set at flush). New rows are written by SQLAlchemy's
unit of work as usual; a hot path that makes a few rows and is done with them may write them
itself with :func:`insert_now`, or have them written so when its transaction commits with
:func:`insert_at_commit` (``dealerhub.db`` runs them with the outbox's, in one round trip on
PostgreSQL).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from copy import deepcopy
from functools import cache
from typing import Any, NamedTuple

from pydantic_core import PydanticUndefined
from sqlalchemy import Insert, Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import SQLModel

_AT_COMMIT = "dealerhub_insert_at_commit"
_IMMUTABLE = (str, int, float, bool, type(None), enum.Enum)

# Runs one INSERT (without RETURNING) with one row's parameters or a list of rows':
# ``Connection.execute``, or the pipelined runner of ``dealerhub.db.pipelined_inserts``.
InsertRunner = Callable[[Insert, Any], object]


class Row(SQLModel):
    """Base of every table model. Construction writes the fields straight into the instance,
    which is where SQLAlchemy reads a new row's values at INSERT and where it writes a loaded
    row's. SQLModel's own constructor sets each field through pydantic's and SQLAlchemy's
    ``__setattr__`` instead (it does not validate table models either). Relationship
    attributes (SQLModel ``Relationship``) are set by ordinary attribute assignment. Unknown
    keyword arguments are an error here, where SQLModel would drop them silently."""

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
            relationships = type(self).__sqlmodel_relationships__
            unknown = sorted(name for name in data if name not in relationships)
            if unknown:
                raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}")
            for name, value in data.items():
                setattr(self, name, value)


@cache
def _defaults(model: type[Row]) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    return tuple(
        (name, field.default, field.default_factory)  # type: ignore[misc]
        for name, field in model.model_fields.items()
    )


class _Insert(NamedTuple):
    statement: Insert
    depth: int  # foreign-key depth of the table: parents have smaller ones
    columns: tuple[tuple[str, str], ...]  # (attribute, column) pairs


def _depth(table: Table, seen: frozenset[Table] = frozenset()) -> int:
    parents = {fk.column.table for fk in table.foreign_keys} - {table} - seen
    return 1 + max((_depth(p, seen | {table}) for p in parents), default=-1)


@cache
def _insert_of(model: type[Row]) -> _Insert | None:
    """The prebuilt INSERT of ``model``'s table, or ``None`` for a model the unit of work must
    write (one with relationships, whose foreign keys are set at flush)."""
    mapper = sa_inspect(model)
    if mapper.relationships:
        return None
    table: Table = mapper.local_table
    return _Insert(
        insert(table),
        _depth(table),
        tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs),
    )


def insert_now(session: Session, *rows: Row, run: InsertRunner | None = None) -> None:
    """INSERT those of ``rows`` that are pending in ``session`` now, each with a prebuilt Core
    statement on the session's connection (parents first; ``run`` executes them, by default
    the connection's ``execute``), and keep them in the session as persistent objects, as if
    just loaded: later changes are UPDATEs at the next flush.

    Cheaper than the unit of work's INSERT for the few rows of a hot path. Rows of models with
    relationships, and rows not pending, are left to the unit of work. Unlike rows the unit of
    work wrote, a rollback does not make these transient again (they stay in the session,
    expired): use it where the session ends with its transaction, as a request's does.
    """
    plans = [
        (plan, row)
        for row in rows
        if (plan := _insert_of(type(row))) is not None and sa_inspect(row).pending
    ]
    if not plans:
        return
    plans.sort(key=lambda item: item[0].depth)
    if run is None:
        run = session.connection().execute
    for plan, row in plans:
        values = row.__dict__
        run(plan.statement, {col: values[attr] for attr, col in plan.columns if attr in values})
    for _, row in plans:
        session.expunge(row)
        make_transient_to_detached(row)
        session.add(row)


def insert_at_commit(session: Session, *rows: Row) -> None:
    """Have :func:`insert_now` write ``rows`` when the session's transaction commits (just
    before its final flush) rather than now; a flush in between writes them through the unit
    of work instead, and a rollback forgets them.

    On SQLite a write transaction holds the database's one write lock from its first
    statement to its COMMIT: a request whose rows are written at commit holds it for its
    writes only, not while its response is rendered.
    """
    session.info.setdefault(_AT_COMMIT, []).extend(rows)


def commit_inserts(session: Session) -> Callable[[InsertRunner], None] | None:
    """The commit half of :func:`insert_at_commit`: what writes the rows, given the runner
    of the commit's INSERTs (``dealerhub.db`` calls it as the transaction commits)."""
    rows = session.info.pop(_AT_COMMIT, None)
    if not rows:
        return None
    return lambda run: insert_now(session, *rows, run=run)


def forget_at_commit(session: Session) -> None:
    """The rollback half of :func:`insert_at_commit`: the rows were never written."""
    session.info.pop(_AT_COMMIT, None)
