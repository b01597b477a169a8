"""Masked snapshots of leads and deals for events (never raw contact data)."""

from __future__ import annotations

import copy
from typing import Any

from dealerhub.crypto import MASK, mask_last4


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if email is None else MASK
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str | None:
    return f"{name[:1]}***" if name else name


def mask_contact(contact: dict[str, Any]) -> dict[str, Any]:
    out = dict(contact)
    out["first_name"] = mask_name(contact.get("first_name"))
    out["last_name"] = mask_name(contact.get("last_name"))
    out["email"] = mask_email(contact.get("email"))
    if contact.get("phone"):
        out["phone"] = mask_last4(contact["phone"])
    if contact.get("address"):
        addr = contact["address"]
        # City, state and country help route a lead; the street and ZIP identify a home.
        out["address"] = {k: addr.get(k) for k in ("city", "state", "country") if addr.get(k)}
    return out


def mask_lead(lead: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(lead)
    out["customer"] = mask_contact(lead.get("customer") or {})
    if out.get("comments"):
        out["comments"] = MASK  # free text often carries phone numbers and addresses
    return out


def mask_deal(deal: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(deal)  # deals reference the customer by id; no contact data inside
