"""The transactional outbox: event rows (and one delivery row per matching webhook endpoint)
written in the transaction that makes the change, so they exist if and only if it does.

:func:`record` only buffers the row in the session. The buffer is written with one
multi-row INSERT (plus one for the deliveries) just before the session's next flush, ORM query
or commit (with the commit's other INSERTs: ``dealerhub.db.register_commit_inserts``), and
just before a savepoint begins, so:

- a request that records several events (a payment records three or four) runs one statement
  for them instead of one per event, and reads the webhook-endpoint list once per transaction;
- on SQLite, whose write transactions hold the database's single write lock from their first
  statement, a create that reads nothing first takes the lock only for its final burst of
  INSERTs and the COMMIT rather than for the whole request;
- any query the session runs still sees every event it recorded;
- a rollback (of the transaction or of a savepoint) drops what it had buffered, exactly as it
  would have removed rows already written.

After the commit one "deliveries are waiting" signal goes to the broker (not one message per
delivery); the periodic sweep signals again for whatever a lost signal left waiting. The
hooks below listen on the sessions of :class:`dealerhub.db.Database` (its sessionmakers),
not on every SQLAlchemy session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlmodel import col

from dealerhub.configcache import ConfigCache
from dealerhub.db import (
    CONFIG_CACHE,
    after_commit,
    new_id,
    register_commit_inserts,
    session_listener,
)
from dealerhub.events import jobs
from dealerhub.events.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from dealerhub.events.patterns import matches_any
from dealerhub.rows import InsertRunner
from dealerhub.tasks import enqueue_now
from dealerhub.tenancy import Tenant

_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]  # SQLModel sets it
_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_DELIVERIES = insert(_DELIVERIES)
Endpoints = tuple[tuple[str, list[str]], ...]  # (id, enabled_events) of a tenant's endpoints

_PENDING = "dealerhub_pending_events"
_ENDPOINTS = "dealerhub_endpoints"
_OWN_CHANGES = "dealerhub_endpoints_changed"  # this transaction changed an endpoint
_SIGNALLED = "dealerhub_drain_signalled"


def record(session: Session, tenant: Tenant, row: dict[str, Any]) -> None:
    """Buffer one ``events`` row (every column but ``pending_webhooks``) in the session."""
    if not session.in_transaction():
        # Start the session's transaction (no SQL is sent until its first statement) so that
        # its rollback, which would otherwise be a no-op, drops the buffer.
        session.begin()
    session.info.setdefault(_PENDING, []).append((tenant, row))


def write_pending(session: Session, conn: Connection | None = None) -> None:
    """Write the buffered events and their deliveries now, on ``conn`` (default: the
    session's current connection)."""
    if not session.info.get(_PENDING):
        return
    conn = conn if conn is not None else session.connection()
    write = _prepare_pending(session, conn)
    if write is not None:
        write(conn.execute)


@register_commit_inserts
def _commit_inserts(session: Session) -> Callable[[InsertRunner], None] | None:
    # Called for the outer transaction and for each savepoint that is released: the endpoint
    # query runs now, the INSERTs with the commit's others.
    if not session.info.get(_PENDING):
        return None
    return _prepare_pending(session, session.connection())


def _prepare_pending(session: Session, conn: Connection) -> Callable[[InsertRunner], None] | None:
    """Take the buffered events, read the endpoints they go to on ``conn``, and return what
    INSERTs them and their deliveries."""
    pending: list[tuple[Tenant, dict[str, Any]]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return None
    _note_endpoint_changes(session)
    deliveries: list[dict[str, Any]] = []
    for tenant, row in pending:
        endpoint_ids = _matching_endpoints(session, conn, tenant, row["type"])
        row["pending_webhooks"] = len(endpoint_ids)
        deliveries += [
            {
                "id": new_id("whd"),
                "dealer_id": tenant.dealer_id,
                "livemode": tenant.livemode,
                "created": row["created"],
                "event_id": row["id"],
                "endpoint_id": endpoint_id,
                "status": DeliveryStatus.PENDING.value,
                "attempt_count": 0,
                "next_attempt_at": row["created"],
                "queued_at": row["created"],
            }
            for endpoint_id in endpoint_ids
        ]

    def write(run: InsertRunner) -> None:
        run(_INSERT_EVENTS, [row for _, row in pending])
        if deliveries:
            run(_INSERT_DELIVERIES, deliveries)
            _signal_after_commit(session)

    return write


def _signal_after_commit(session: Session) -> None:
    """One "deliveries are waiting" signal per committed transaction, however many deliveries
    it wrote: workers claim them from the table in batches (``events/pipeline.py``)."""
    if session.info.get(_SIGNALLED):
        return
    session.info[_SIGNALLED] = True

    def send() -> None:
        session.info.pop(_SIGNALLED, None)
        enqueue_now(jobs.DRAIN)

    after_commit(session, send)


# Built once: constructing a statement costs more than running this one.
_ENABLED = select(col(WebhookEndpoint.id), col(WebhookEndpoint.enabled_events)).where(
    col(WebhookEndpoint.dealer_id) == bindparam("dealer_id"),
    col(WebhookEndpoint.livemode) == bindparam("livemode"),
    col(WebhookEndpoint.status) == EndpointStatus.ENABLED.value,
    col(WebhookEndpoint.deleted).is_(False),
)


def _matching_endpoints(
    session: Session, conn: Connection, tenant: Tenant, type_: str
) -> list[str]:
    """Ids of the tenant's enabled endpoints that want ``type_``, read once per transaction
    (and again after this session changed an endpoint), from the process's cache of them
    unless this transaction changed one (only it can see that change yet)."""
    cache: dict[Tenant, Endpoints] = session.info.setdefault(_ENDPOINTS, {})
    if tenant not in cache:
        params = {"dealer_id": tenant.dealer_id, "livemode": tenant.livemode}

        def load() -> Endpoints:
            return tuple((row.id, row.enabled_events) for row in conn.execute(_ENABLED, params))

        shared: ConfigCache | None = session.info.get(CONFIG_CACHE)
        if shared is not None and not session.info.get(_OWN_CHANGES):
            cache[tenant] = shared.lookup("webhook_endpoints", tenant, load, connect=lambda: conn)
        else:
            cache[tenant] = load()
    return [id_ for id_, enabled in cache[tenant] if matches_any(enabled, type_)]


@session_listener("after_flush")
def _note_endpoint_changes(session: Session, _flush_context: Any = None) -> None:
    """If this transaction changes an endpoint, its endpoints are read afresh, in the
    transaction. Checked as the events are written (a change not flushed yet) and after each
    flush (one flushed before, which is in none of these collections by then)."""
    changing = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, WebhookEndpoint) for obj in changing):
        session.info.pop(_ENDPOINTS, None)
        session.info[_OWN_CHANGES] = True


@session_listener("before_flush")
def _before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    write_pending(session)


@session_listener("do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    write_pending(state.session)


@session_listener("after_transaction_create")
def _before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # Events recorded before a savepoint belong to the enclosing transaction: write them
    # there (the SAVEPOINT itself is emitted later, on the savepoint's first statement), so
    # rolling the savepoint back cannot take them with it.
    if transaction.nested and session.info.get(_PENDING) and transaction.parent is not None:
        write_pending(session, transaction.parent.connection(None))


@session_listener("after_soft_rollback")
def _drop_pending(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_SIGNALLED, None)  # its after-commit signal was dropped with it


@session_listener("after_transaction_end")
def _forget_endpoints(session: Session, transaction: SessionTransaction) -> None:
    # Only when the outermost transaction ends: each flush runs in a subtransaction of its own.
    if transaction.parent is None:
        session.info.pop(_ENDPOINTS, None)
        session.info.pop(_OWN_CHANGES, None)
