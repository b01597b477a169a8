"""An intent's charges (its attempts), read once per request.

One request renders an intent for its response and for several event snapshots, each with
the intent's charges list; the list is cached on the session and kept current as attempts
are added, so it is queried at most once."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.payments.models import Charge, PaymentIntent

_CACHE = "pi_charges"


def charges_of(session: Session, pi: PaymentIntent) -> list[Charge]:
    """The intent's charges, newest first."""
    cache: dict[str, list[Charge]] = session.info.setdefault(_CACHE, {})
    if pi.id not in cache:
        stmt = (
            select(Charge)
            .where(col(Charge.payment_intent_id) == pi.id)
            .order_by(col(Charge.created).desc(), col(Charge.id).desc())
        )
        cache[pi.id] = list(session.scalars(stmt))
    return cache[pi.id]


def no_charges_yet(session: Session, pi: PaymentIntent) -> None:
    """A new intent has no charges: nothing to query."""
    session.info.setdefault(_CACHE, {})[pi.id] = []


def add_charge(session: Session, pi: PaymentIntent, charge: Charge) -> None:
    charges = charges_of(session, pi)  # before the add: a query would flush the new charge
    session.add(charge)
    charges.insert(0, charge)
