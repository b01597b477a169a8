"""Creating dealers, issuing, rolling and checking API keys."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Row, bindparam, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.configcache import ConfigCache
from dealerhub.crypto import hash_key
from dealerhub.db import new_id, now
from dealerhub.dealers.models import ApiKey, Dealer, KeyKind
from dealerhub.errors import InvalidRequest, NotFound


@dataclass(frozen=True)
class IssuedKeys:
    """Plaintext keys, returned once at issue time and never again."""

    secret_key: str
    publishable_key: str


def _issue(session: Session, dealer_id: str, livemode: bool, kind: KeyKind) -> str:
    mode = "live" if livemode else "test"
    short = "sk" if kind is KeyKind.SECRET else "pk"
    raw = f"{short}_{mode}_{secrets.token_urlsafe(32).replace('-', 'A').replace('_', 'z')}"
    session.add(
        ApiKey(
            id=new_id("key"),
            dealer_id=dealer_id,
            livemode=livemode,
            kind=kind,
            key_hash=hash_key(raw),
            prefix=f"{short}_{mode}_",
            last4=raw[-4:],
        )
    )
    return raw


def _issue_pair(session: Session, dealer_id: str, livemode: bool) -> IssuedKeys:
    return IssuedKeys(
        secret_key=_issue(session, dealer_id, livemode, KeyKind.SECRET),
        publishable_key=_issue(session, dealer_id, livemode, KeyKind.PUBLISHABLE),
    )


def create_dealer(*, session: Session, name: str) -> tuple[Dealer, IssuedKeys, IssuedKeys]:
    """Create a dealer with a test and a live key pair; returns ``(dealer, test, live)``."""
    name = name.strip()
    if not name:
        raise InvalidRequest("A dealer needs a name.", param="name")
    dealer = Dealer(id=new_id("acct"), name=name)
    session.add(dealer)
    session.flush()
    return dealer, _issue_pair(session, dealer.id, False), _issue_pair(session, dealer.id, True)


def list_dealers(*, session: Session) -> list[Dealer]:
    return list(session.scalars(select(Dealer).order_by(col(Dealer.created), col(Dealer.id))))


def get_dealer(*, session: Session, dealer_id: str) -> Dealer:
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        raise NotFound(f"No such dealer: '{dealer_id}'")
    return dealer


def roll_keys(
    *, session: Session, dealer_id: str, livemode: bool, grace_seconds: int = 0
) -> IssuedKeys:
    """Issue a new key pair for one mode; the old keys stop working after ``grace_seconds``."""
    if grace_seconds < 0:
        raise InvalidRequest("The grace period cannot be negative.", param="grace_seconds")
    get_dealer(session=session, dealer_id=dealer_id)
    expires = now() + grace_seconds
    active = session.scalars(
        select(ApiKey).where(
            col(ApiKey.dealer_id) == dealer_id,
            col(ApiKey.livemode) == livemode,
            or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > expires),
        )
    )
    for key in active:
        key.expires_at = expires
    return _issue_pair(session, dealer_id, livemode)


@dataclass(frozen=True)
class KeyIdentity:
    """Who an API key speaks for; all a request needs to know about its key."""

    id: str
    dealer_id: str
    livemode: bool
    kind: KeyKind


_KEY_BY_HASH = select(
    col(ApiKey.id),
    col(ApiKey.dealer_id),
    col(ApiKey.livemode),
    col(ApiKey.kind),
    col(ApiKey.expires_at),
).where(col(ApiKey.key_hash) == bindparam("key_hash"))


def authenticate(
    *, connect: Callable[[], Connection], raw_key: str, cache: ConfigCache | None = None
) -> KeyIdentity | None:
    """The identity of the active key matching ``raw_key``, or ``None`` (unknown, malformed or
    expired).

    Runs on every request, so it is a plain Core query on a connection (``connect()``, called
    only if the key is not in ``cache``), not an ORM load, and the statement is built once
    (building one costs more than running it). Expiry is checked on every call, cached or not.
    """
    if not raw_key.startswith(("sk_test_", "sk_live_", "pk_test_", "pk_live_")):
        return None
    key_hash = hash_key(raw_key)

    def load() -> Row[str, str, bool, KeyKind, int | None] | None:
        return connect().execute(_KEY_BY_HASH, {"key_hash": key_hash}).first()

    row = load() if cache is None else cache.lookup("api_keys", key_hash, load, connect=connect)
    if row is None or (row.expires_at is not None and row.expires_at <= now()):
        return None
    return KeyIdentity(row.id, row.dealer_id, row.livemode, row.kind)
