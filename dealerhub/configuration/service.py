"""Dealer configuration: one encrypted tree per dealer and mode, masked on the way out.

Every change deep-merges into the stored tree, records ``configuration.updated`` with the
changed paths (never values) and writes an audit entry, all in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, delete, func, select

from dealerhub.audit import record_audit
from dealerhub.configuration.certificates import CertInfo, CertStore, decode_base64, inspect_p12
from dealerhub.configuration.models import AllowedOrigin, Certificate, Configuration
from dealerhub.configuration.schemas import CERTIFICATE_INFO, SECRET_PATHS
from dealerhub.configuration.tree import changed_paths, deep_merge, get_path, has_path, set_path
from dealerhub.connectors.processors import routing
from dealerhub.connectors.processors.catalog import GATEWAYS
from dealerhub.crypto import MASK
from dealerhub.db import after_commit, after_rollback, new_id, now
from dealerhub.errors import Conflict, InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.pen.registration import registration_view
from dealerhub.tenancy import Tenant, scoped

TU = "credit_application.transunion"
ORIGINS = "web.allowed_origins"
CERT_FILE = f"{TU}.certificate_file"
CERT_PASSWORD = f"{TU}.certificate_password"


@dataclass(frozen=True)
class ActiveCertificate:
    """What a connector needs to present the dealer's client certificate."""

    id: str
    fingerprint_sha256: str
    not_before: int
    not_after: int
    p12: bytes
    password: str


# --- reads ------------------------------------------------------------------------------


def _row(session: Session, tenant: Tenant, *, for_update: bool = False) -> Configuration | None:
    stmt = scoped(Configuration, tenant)
    if for_update:
        stmt = stmt.with_for_update()
    row: Configuration | None = session.scalars(stmt).first()
    return row


def _tree(row: Configuration | None) -> dict[str, Any]:
    return json.loads(row.tree) if row is not None else {}


def certificate_row(session: Session, tenant: Tenant) -> Certificate | None:
    stmt = scoped(Certificate, tenant).where(col(Certificate.active).is_(True))
    cert: Certificate | None = session.scalars(
        stmt.order_by(col(Certificate.created).desc())
    ).first()
    return cert


def _view(session: Session, tenant: Tenant, row: Configuration) -> dict[str, Any]:
    tree = _tree(row)
    for path in SECRET_PATHS:
        if has_path(tree, path) and path != CERT_FILE:
            set_path(tree, path, MASK)
    cert = certificate_row(session, tenant)
    if cert is not None and has_path(tree, TU):
        set_path(tree, f"{TU}.certificate", CERTIFICATE_INFO.dump(cert))
    pen_registration = registration_view(session, tenant)
    if pen_registration is not None:  # read-only: stored by POST /set-dealer, not in the tree
        set_path(tree, "pen.registration", pen_registration)
    return {
        "id": row.id,
        "object": "configuration",
        "livemode": row.livemode,
        "created": row.created,
        "updated": row.updated,
        **tree,
    }


def get_configuration(session: Session, tenant: Tenant) -> dict[str, Any]:
    row = _row(session, tenant)
    if row is None:
        raise NotFound("This dealer has no configuration yet; create it with POST /configuration.")
    return _view(session, tenant, row)


def resolved_config(session: Session, tenant: Tenant) -> dict[str, Any]:
    """The decrypted tree with plaintext secrets, ``{}`` when none. Server-side use by
    connectors only: never return it from an endpoint or put it in a log or event."""
    return _tree(_row(session, tenant))


def active_certificate(session: Session, tenant: Tenant, store: CertStore) -> ActiveCertificate:
    """The dealer's current client certificate, decrypted in memory."""
    cert = certificate_row(session, tenant)
    if cert is None:
        raise InvalidRequest(
            "No TransUnion client certificate is configured for this dealer.",
            param=CERT_FILE,
            code="certificate_missing",
        )
    return ActiveCertificate(
        cert.id,
        cert.fingerprint_sha256,
        cert.not_before,
        cert.not_after,
        store.read(cert.path),
        cert.password,
    )


# --- writes -----------------------------------------------------------------------------


def create_configuration(
    session: Session, tenant: Tenant, payload: dict[str, Any], *, actor: str, store: CertStore
) -> dict[str, Any]:
    if _row(session, tenant, for_update=True) is not None:
        raise Conflict(
            "A configuration already exists for this dealer; update it with PATCH /configuration.",
            code="configuration_exists",
        )
    row = Configuration(
        id=new_id("conf"), dealer_id=tenant.dealer_id, livemode=tenant.livemode, tree="{}"
    )
    return _write(session, tenant, row, payload, actor=actor, store=store, action="created")


def update_configuration(
    session: Session, tenant: Tenant, payload: dict[str, Any], *, actor: str, store: CertStore
) -> dict[str, Any]:
    row = _row(session, tenant, for_update=True)
    if row is None:
        raise NotFound("This dealer has no configuration yet; create it with POST /configuration.")
    return _write(session, tenant, row, payload, actor=actor, store=store, action="updated")


def upload_certificate(
    session: Session, tenant: Tenant, p12: bytes, password: str, *, actor: str, store: CertStore
) -> dict[str, Any]:
    """The multipart/CLI path: same checks and effects as sending base64 in a PATCH."""
    import base64

    payload = {
        "credit_application": {
            "transunion": {
                "certificate_file": base64.b64encode(p12).decode(),
                "certificate_password": password,
            }
        }
    }
    row = _row(session, tenant, for_update=True)
    if row is None:
        row = Configuration(
            id=new_id("conf"), dealer_id=tenant.dealer_id, livemode=tenant.livemode, tree="{}"
        )
        return _write(session, tenant, row, payload, actor=actor, store=store, action="created")
    return _write(session, tenant, row, payload, actor=actor, store=store, action="updated")


def delete_configuration(
    session: Session, tenant: Tenant, *, actor: str, store: CertStore
) -> dict[str, Any]:
    row = _row(session, tenant, for_update=True)
    if row is None:
        raise NotFound("This dealer has no configuration.")
    paths = changed_paths(_tree(row), {})
    for cert in session.scalars(scoped(Certificate, tenant).where(col(Certificate.active))):
        _retire(session, cert, store)
    session.delete(row)
    _index_origins(session, tenant, [])
    _announce(session, tenant, row.id, "deleted", paths, actor)
    return {"id": row.id, "object": "configuration", "deleted": True}


def _write(
    session: Session,
    tenant: Tenant,
    row: Configuration,
    payload: dict[str, Any],
    *,
    actor: str,
    store: CertStore,
    action: str,
) -> dict[str, Any]:
    old = _tree(row)
    patch = _resolve_masks(old, payload)
    # Gateways and routing are checked as a whole, before anything (a certificate) is stored.
    routing.validate(deep_merge(old, patch), tenant.livemode, GATEWAYS)
    _apply_certificate(session, tenant, old, patch, store)
    new = deep_merge(old, patch)
    paths = changed_paths(old, new)
    if action == "updated" and not paths:
        return _view(session, tenant, row)
    row.tree = json.dumps(new, sort_keys=True)
    row.updated = now()
    session.add(row)
    session.flush()
    if any(p.startswith(ORIGINS + ".") or p == ORIGINS for p in paths):
        _index_origins(session, tenant, get_path(new, ORIGINS) or [])
    _announce(session, tenant, row.id, action, paths, actor)
    return _view(session, tenant, row)


def _index_origins(session: Session, tenant: Tenant, origins: list[Any]) -> None:
    session.execute(delete(AllowedOrigin).where(*_tenant_is(AllowedOrigin, tenant)))
    for origin in sorted({o for o in origins if isinstance(o, str)}):
        session.add(
            AllowedOrigin(dealer_id=tenant.dealer_id, livemode=tenant.livemode, origin=origin)
        )
    session.flush()


def _tenant_is(model: Any, tenant: Tenant) -> tuple[Any, Any]:
    return (col(model.dealer_id) == tenant.dealer_id, col(model.livemode) == tenant.livemode)


def _announce(
    session: Session, tenant: Tenant, conf_id: str, action: str, paths: list[str], actor: str
) -> None:
    snapshot = {
        "id": conf_id,
        "object": "configuration",
        "livemode": tenant.livemode,
        "action": action,
        "changed_paths": paths,
    }
    record_event(session, tenant, "configuration.updated", snapshot)
    record_audit(
        session,
        tenant,
        actor=actor,
        action=f"configuration.{action}",
        object_id=conf_id,
        details={"changed_paths": paths},
    )


def _resolve_masks(old: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """A secret sent back as "********" keeps the stored value."""
    patch = json.loads(json.dumps(payload))
    for path in SECRET_PATHS:
        if get_path(patch, path) != MASK:
            continue
        stored = get_path(old, path)
        if stored is None:
            raise InvalidRequest(
                f"{path} has no stored value to keep; send the real value.", param=path
            )
        set_path(patch, path, stored)
    return patch


def _apply_certificate(
    session: Session, tenant: Tenant, old: dict[str, Any], patch: dict[str, Any], store: CertStore
) -> None:
    """Validate and store a new certificate named in ``patch`` (rewriting the path to its
    ``certificate_<n>`` name), or re-check the active one against a new password."""
    active = certificate_row(session, tenant)
    password_sent = has_path(patch, CERT_PASSWORD)
    password = get_path(patch, CERT_PASSWORD) if password_sent else get_path(old, CERT_PASSWORD)
    at = now()
    if has_path(patch, CERT_FILE):
        value = get_path(patch, CERT_FILE)
        if value is None:
            if active is not None:
                _retire(session, active, store)
            return
        if active is not None and value == active.name:
            if password_sent and password != active.password:
                inspect_p12(store.read(active.path), password or "", at=at)
                active.password = password or ""
                session.add(active)
            return
        data = decode_base64(value)
        info = inspect_p12(data, password or "", at=at)
        cert = _store_new(session, tenant, data, password or "", info, store)
        if active is not None:
            _retire(session, active, store)
        set_path(patch, CERT_FILE, cert.name)
    elif password_sent and active is not None and password != active.password:
        inspect_p12(store.read(active.path), password or "", at=at)
        active.password = password or ""
        session.add(active)


def _store_new(
    session: Session, tenant: Tenant, data: bytes, password: str, info: CertInfo, store: CertStore
) -> Certificate:
    count = session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(
            col(Certificate.dealer_id) == tenant.dealer_id,
            col(Certificate.livemode) == tenant.livemode,
        )
    )
    cert_id = new_id("cert")
    cert = Certificate(
        id=cert_id,
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        name=f"certificate_{(count or 0) + 1}",
        path=f"{tenant.dealer_id}/{tenant.mode}/{cert_id}.p12.enc",
        password=password,
        subject=info.subject,
        issuer=info.issuer,
        serial_number=info.serial_number,
        fingerprint_sha256=info.fingerprint_sha256,
        not_before=info.not_before,
        not_after=info.not_after,
    )
    # The file is written before the commit (the opposite order could leave a row without its
    # file) and deleted again if the transaction rolls back.
    store.write(cert.path, data)
    path = cert.path
    after_rollback(session, lambda: store.delete(path))
    session.add(cert)
    session.flush()
    return cert


def _retire(session: Session, cert: Certificate, store: CertStore) -> None:
    cert.active = False
    session.add(cert)
    path = cert.path
    after_commit(session, lambda: store.delete(path))
