"""Which website origins may call the API from a browser: each dealer lists them under
``web.allowed_origins`` in its /configuration (one list per mode).

The configuration tree is one encrypted document per dealer and mode, so nothing can query
inside it: a preflight (which carries no key, hence no dealer) reads every tree that exists.
Browsers cache a successful preflight for :data:`PREFLIGHT_MAX_AGE` seconds, so preflights are
rare next to the requests they allow, and a configuration change takes effect at once.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.configuration.models import Configuration
from dealerhub.configuration.tree import get_path
from dealerhub.tenancy import Tenant, scoped

PATH = "web.allowed_origins"
PREFLIGHT_MAX_AGE = 600


def allowed_for(session: Session, tenant: Tenant) -> frozenset[str]:
    """The origins ``tenant`` lists (empty without a configuration or a ``web`` block)."""
    row = session.scalars(scoped(Configuration, tenant)).first()
    if row is None:
        return frozenset()
    return _origins(row.tree)


def allowed_by_anyone(session: Session, origin: str) -> bool:
    """Whether any dealer, in either mode, lists ``origin`` (the preflight's question)."""
    trees = session.scalars(select(Configuration.tree).where(col(Configuration.tree).is_not(None)))
    return any(origin in _origins(tree) for tree in trees)


def same_origin(origin: str, host_url: str) -> bool:
    """Whether ``origin`` is the hub's own (its example page, the hosted invoice page)."""
    hub = urlsplit(host_url)
    return origin == f"{hub.scheme}://{hub.netloc}".lower()


def _origins(tree: str) -> frozenset[str]:
    value = get_path(json.loads(tree), PATH) or []
    return frozenset(o for o in value if isinstance(o, str))
