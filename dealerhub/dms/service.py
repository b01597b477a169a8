"""Leads: intake (JSON or ADF, already mapped to one dict), duplicate rules, customer link,
retrieval, update and search. Deals live in ``deals.py``, syncing in ``sync.py``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, text
from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.customers import service as customers
from dealerhub.db import new_id, now
from dealerhub.dms import queue
from dealerhub.dms.changes import event_snapshot, record_update_event
from dealerhub.dms.errors import LeadInvalid
from dealerhub.dms.models import Lead, LeadSubmission
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.pagination import created_filters, paginate, search
from dealerhub.search import FieldSpec
from dealerhub.tenancy import Tenant, get_owned, scoped

DEFAULT_PROVIDERS = ("dealertrack",)
DAY = 86400


_c: Any = Lead.__table__.c  # type: ignore[attr-defined]
SEARCHABLE = {
    # Matching keys are stored normalised (lower-case email and last name, +digits phone).
    "email": FieldSpec(_c.email, "string", allow_substring=True),
    "phone": FieldSpec(_c.phone, "string", allow_substring=True),
    "last_name": FieldSpec(_c.last_name, "string", allow_substring=True),
    "status": FieldSpec(_c.status, "string"),
    "sync_status": FieldSpec(_c.sync_status, "string"),
    "service_provider": FieldSpec(_c.service_provider, "string"),
    "customer_id": FieldSpec(_c.customer_id, "string"),
    "source": FieldSpec(_c.source, "string", allow_substring=True),
    "created": FieldSpec(_c.created, "number"),
}


@dataclass(frozen=True)
class Intake:
    lead: Lead
    outcome: str  # "created" | "merged" | "replayed"


def check_provider(value: str | None, allowed: tuple[str, ...], *, required: bool) -> str | None:
    """Validate the ``x-service-provider`` header against the allow-list."""
    if not value:
        if required:
            raise InvalidRequest(
                "The x-service-provider header is required; allowed values: "
                + ", ".join(allowed)
                + ".",
                param="x-service-provider",
                code="parameter_missing",
            )
        return None
    normalised = value.strip().lower()
    if normalised not in allowed:
        raise InvalidRequest(
            f"Unknown x-service-provider '{value[:40]}'; allowed values: {', '.join(allowed)}.",
            param="x-service-provider",
        )
    return normalised


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def normalise_phone(phone: str | None) -> str | None:
    """``+<digits>``; ten-digit numbers are taken as North American (+1)."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10:
        digits = "1" + digits
    return "+" + digits if digits else None


def payload_hash(provider: str, body: dict[str, Any]) -> str:
    canonical = json.dumps([provider, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _vehicles_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("vehicles"):
        return [dict(v) for v in body["vehicles"]]
    return [dict(body["vehicle"])] if body.get("vehicle") else []


def _validate_contact(body: dict[str, Any]) -> None:
    customer = body["customer"]
    if not customer.get("email") and not customer.get("phone"):
        raise LeadInvalid(
            "A lead needs an email address or a phone number.",
            param="customer.email",
            code="lead_missing_contact",
        )
    consent = body.get("consent") or {}
    if not customer.get("email") and not consent.get("contact_by_phone"):
        # TCPA: a phone-only lead may only be called with recorded consent.
        raise LeadInvalid(
            "A phone-only lead needs consent.contact_by_phone (TCPA consent).",
            param="consent.contact_by_phone",
            code="lead_no_consent",
        )


def _lock_person(session: Session, tenant: Tenant, email: str | None, phone: str | None) -> None:
    """Serialise intake of the same person, so two simultaneous submissions merge instead of
    both creating a lead. PostgreSQL: transaction-scoped advisory locks on the contact keys
    (sorted, so two requests never wait on each other in opposite order). SQLite: write
    transactions are already exclusive."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(f"{tenant.dealer_id}:{tenant.livemode}:{k}" for k in (email, phone) if k)
    for key in keys:
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": digest})


def _find_same_person(
    session: Session, tenant: Tenant, email: str | None, phone: str | None, last_name: str
) -> Lead | None:
    rules = []
    if email:
        rules.append(col(Lead.email) == email)
    if phone:
        rules.append((col(Lead.phone) == phone) & (col(Lead.last_name) == last_name))
    stmt = (
        scoped(Lead, tenant)
        .where(or_(*rules))
        .order_by(col(Lead.created).desc(), col(Lead.id).desc())
    )
    found: Lead | None = session.scalars(stmt).first()
    return found


def _link_customer(session: Session, tenant: Tenant, contact: dict[str, Any]) -> str:
    email, phone = normalise_email(contact.get("email")), normalise_phone(contact.get("phone"))
    found = customers.find_by_contact(
        session, tenant, email=email, phone=phone, last_name=contact.get("last_name")
    )
    if found is not None:
        return found.id
    name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    created = customers.create_customer(
        session, tenant, name=name, email=email, phone=phone, address=contact.get("address")
    )
    return created.id


def create_lead(
    session: Session,
    tenant: Tenant,
    provider: str,
    body: dict[str, Any],
    *,
    fmt: str = "json",
    window_days: int = 30,
) -> Intake:
    """Accept one submission: replay an identical one, merge the same person's within the
    window, otherwise create a lead linked to a (found or new) customer."""
    _validate_contact(body)
    contact = body["customer"]
    email, phone = normalise_email(contact.get("email")), normalise_phone(contact.get("phone"))
    _lock_person(session, tenant, email, phone)
    digest = payload_hash(provider, body)
    prior = session.scalars(
        scoped(LeadSubmission, tenant).where(col(LeadSubmission.payload_hash) == digest)
    ).first()
    if prior is not None:
        lead = session.get(Lead, prior.lead_id)
        if lead is not None:
            return Intake(lead, "replayed")

    last_name = contact["last_name"].strip().lower()
    vehicles = _vehicles_of(body)
    same = _find_same_person(session, tenant, email, phone, last_name)
    if same is not None and same.created >= now() - window_days * DAY:
        return Intake(
            _merge(session, tenant, same, provider, body, vehicles, digest, fmt), "merged"
        )

    lead = Lead(
        id=new_id("lead"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        customer_id=_link_customer(session, tenant, contact),
        service_provider=provider,
        email=email,
        phone=phone,
        last_name=last_name,
        contact=dict(contact),
        vehicles=vehicles,
        trade_in=body.get("trade_in"),
        source=body.get("source"),
        comments=body.get("comments"),
        consent=body.get("consent"),
        # The same person outside the merge window: a returning shopper, flagged not merged.
        duplicate_of=same.id if same is not None else None,
        metadata_=body.get("metadata") or {},
    )
    session.add(lead)
    _add_submission(session, tenant, lead, provider, body, vehicles, digest, fmt, merged=False)
    session.flush()
    record_event(session, tenant, "lead.created", event_snapshot(lead))
    queue.enqueue(session, lead)
    return Intake(lead, "created")


def _add_submission(
    session: Session,
    tenant: Tenant,
    lead: Lead,
    provider: str,
    body: dict[str, Any],
    vehicles: list[dict[str, Any]],
    digest: str,
    fmt: str,
    *,
    merged: bool,
) -> None:
    session.add(
        LeadSubmission(
            id=new_id("lsub"),
            dealer_id=tenant.dealer_id,
            livemode=tenant.livemode,
            lead_id=lead.id,
            payload_hash=digest,
            service_provider=provider,
            source=body.get("source"),
            format=fmt,
            merged=merged,
            vehicles=vehicles,
        )
    )


def _vehicle_key(v: dict[str, Any]) -> tuple[Any, ...]:
    return (v["vin"],) if v.get("vin") else (v.get("year"), v.get("make"), v.get("model"))


def _merge(
    session: Session,
    tenant: Tenant,
    lead: Lead,
    provider: str,
    body: dict[str, Any],
    vehicles: list[dict[str, Any]],
    digest: str,
    fmt: str,
) -> Lead:
    locked = session.scalars(select(Lead).where(col(Lead.id) == lead.id).with_for_update()).one()
    known = {_vehicle_key(v) for v in locked.vehicles}
    new_vehicles = [v for v in vehicles if _vehicle_key(v) not in known]
    if new_vehicles:
        locked.vehicles = [*locked.vehicles, *new_vehicles]
    if body.get("trade_in") and not locked.trade_in:
        locked.trade_in = body["trade_in"]
    contact = dict(locked.contact)
    for key in ("email", "phone", "first_name", "address"):
        if body["customer"].get(key) and not contact.get(key):
            contact[key] = body["customer"][key]
    locked.contact = contact
    if body.get("comments"):
        locked.comments = "\n".join(c for c in (locked.comments, body["comments"]) if c)
    _add_submission(session, tenant, locked, provider, body, vehicles, digest, fmt, merged=True)
    queue.mark_changed(session, locked)
    session.flush()
    snapshot = event_snapshot(locked)
    record_event(
        session,
        tenant,
        "lead.merged",
        snapshot,
        previous_attributes={"merged_sources": len(snapshot["merged_sources"]) - 1},
    )
    return locked


def get_lead_for_customer(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    provider: str | None = None,
    *,
    for_update: bool = False,
) -> Lead:
    """The customer's newest lead (optionally from one provider), or 404."""
    stmt = scoped(Lead, tenant).where(col(Lead.customer_id) == customer_id)
    if provider:
        stmt = stmt.where(col(Lead.service_provider) == provider)
    stmt = stmt.order_by(col(Lead.created).desc(), col(Lead.id).desc())
    if for_update:
        stmt = stmt.with_for_update()
    lead: Lead | None = session.scalars(stmt).first()
    if lead is None:
        raise NotFound(f"No lead for customer '{customer_id}'", param="customer_id")
    return lead


def update_lead(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    changes: dict[str, Any],
    provider: str | None = None,
) -> Lead:
    """Change the customer's newest lead (of ``provider``): ``PATCH /dms/leads/{customer_id}``."""
    lead = get_lead_for_customer(session, tenant, customer_id, provider, for_update=True)
    return _apply_changes(session, tenant, lead, changes)


def update_lead_by_id(
    session: Session, tenant: Tenant, lead_id: str, changes: dict[str, Any]
) -> Lead:
    """Change one lead, named by its id (the desk's lead page), under a row lock."""
    lead = get_owned(session, Lead, lead_id, tenant, name="lead", for_update=True)
    return _apply_changes(session, tenant, lead, changes)


def _apply_changes(session: Session, tenant: Tenant, lead: Lead, changes: dict[str, Any]) -> Lead:
    before = event_snapshot(lead)
    if "customer" in changes:
        contact = {**lead.contact, **changes["customer"]}
        if not contact.get("email") and not contact.get("phone"):
            raise LeadInvalid(
                "A lead needs an email address or a phone number.", param="customer.email"
            )
        lead.contact = contact
        lead.email = normalise_email(contact.get("email"))
        lead.phone = normalise_phone(contact.get("phone"))
        lead.last_name = (contact.get("last_name") or "").strip().lower() or lead.last_name
    if "vehicle" in changes or "vehicles" in changes:
        lead.vehicles = _vehicles_of(changes)
    for key in ("trade_in", "source", "comments", "consent", "status"):
        if key in changes:
            setattr(lead, key, changes[key])
    if "metadata" in changes:
        lead.metadata_ = {**lead.metadata_, **changes["metadata"]}
    record_update_event(session, tenant, "lead.updated", lead, before)
    return lead


def search_leads(session: Session, tenant: Tenant, args: dict[str, Any], *, url: str) -> Any:
    stmt = scoped(Lead, tenant)
    if args.get("email"):
        stmt = stmt.where(col(Lead.email) == normalise_email(args["email"]))
    if args.get("phone"):
        stmt = stmt.where(col(Lead.phone) == normalise_phone(args["phone"]))
    if args.get("last_name"):
        stmt = stmt.where(col(Lead.last_name) == args["last_name"].strip().lower())
    if args.get("status"):
        stmt = stmt.where(col(Lead.status) == args["status"])
    if args.get("sync_status"):
        stmt = stmt.where(col(Lead.sync_status) == args["sync_status"])
    if args.get("service_provider"):
        stmt = stmt.where(col(Lead.service_provider) == args["service_provider"])
    if args.get("query"):
        stmt = stmt.where(*created_filters(Lead, args))
        return search(session, stmt, Lead, args, searchable=SEARCHABLE, url=url)
    return paginate(session, stmt, Lead, args, url=url)
