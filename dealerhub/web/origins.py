"""Which website origins may call the API from a browser: each dealer lists them under
``web.allowed_origins`` in its /configuration (one list per mode).

The configuration tree is one encrypted document per dealer and mode; the configuration
service keeps a plaintext index of the lists (``allowed_origins``), which a preflight (no key,
hence no dealer) and a request read. A configuration change takes effect at once; browsers
cache a successful preflight for :data:`PREFLIGHT_MAX_AGE` seconds.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.configuration.models import AllowedOrigin
from dealerhub.tenancy import Tenant, scoped

PATH = "web.allowed_origins"
PREFLIGHT_MAX_AGE = 600


def allowed_for(session: Session, tenant: Tenant) -> frozenset[str]:
    """The origins ``tenant`` lists (empty without a configuration or a ``web`` block)."""
    stmt = scoped(AllowedOrigin, tenant)
    return frozenset(row.origin for row in session.scalars(stmt))


def allowed_by_anyone(session: Session, origin: str) -> bool:
    """Whether any dealer, in either mode, lists ``origin`` (the preflight's question): one
    lookup in the plaintext index the configuration service keeps of every tree's list."""
    stmt = select(AllowedOrigin.id).where(col(AllowedOrigin.origin) == origin).limit(1)
    return session.scalars(stmt).first() is not None


def same_origin(origin: str, host_url: str) -> bool:
    """Whether ``origin`` is the hub's own (its example page, the hosted invoice page)."""
    hub = urlsplit(host_url)
    return origin == f"{hub.scheme}://{hub.netloc}".lower()
