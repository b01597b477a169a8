"""Gapless invoice numbers per dealer and mode (``DEMO-0001``, ``DEMO-0002``, …).

The number is taken by one ``UPDATE … SET next_number = next_number + 1 … RETURNING`` in the
finalizing transaction: it holds the counter row's lock (PostgreSQL; SQLite's write
transactions are exclusive anyway) until that transaction ends, so concurrent finalizes
queue on it, and a finalize that rolls back gives its number back with it. Test and live
invoices are numbered separately, so rehearsals never consume live numbers.
"""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing.models import InvoiceCounter
from dealerhub.tenancy import Tenant


def prefix_for(dealer_name: str) -> str:
    """Up to 8 upper-case letters of the dealer's first word (``Demo Motors`` → ``DEMO``)."""
    words = re.findall(r"[A-Za-z0-9]+", dealer_name)
    letters = words[0] if words and len(words[0]) >= 3 else "".join(words)
    return (letters[:8] or "INV").upper()


def next_number(session: Session, tenant: Tenant, dealer_name: str) -> str:
    """Take the next number of this dealer and mode, inside the caller's transaction."""
    table = InvoiceCounter.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The first invoice creates the counter; a concurrent first one finds it there.
    session.execute(
        insert(table)
        .values(
            dealer_id=tenant.dealer_id,
            livemode=tenant.livemode,
            prefix=prefix_for(dealer_name),
            next_number=1,
        )
        .on_conflict_do_nothing(index_elements=["dealer_id", "livemode"])
    )
    taken, prefix = session.execute(
        update(InvoiceCounter)
        .where(
            col(InvoiceCounter.dealer_id) == tenant.dealer_id,
            col(InvoiceCounter.livemode) == tenant.livemode,
        )
        .values(next_number=col(InvoiceCounter.next_number) + 1)
        .returning(col(InvoiceCounter.next_number), col(InvoiceCounter.prefix))
    ).one()
    return f"{prefix}-{taken - 1:04d}"
