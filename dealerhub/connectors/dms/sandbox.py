"""The sandbox DMS used by test mode, development and tests.

It behaves like a DMS that de-duplicates customers: a push looks the customer up (by the DMS
key we stored, then our reference, then email, then phone + last name) before inserting one.
Fault triggers, by the contact's last name (documented in docs/sandbox.md):

* ``Dmsdown``    - the DMS is unavailable (retryable).
* ``Dmsreject``  - the DMS rejects the record (permanent).
* ``Dmsnoaccess`` - the dealer has not enabled the OpenTrack method (permanent, names it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from dealerhub.connectors.base import ConnectorAuthError, ConnectorRejected, ConnectorUnavailable
from dealerhub.connectors.dms.base import DmsContact, DmsDealPush, DmsLeadPush, DmsPushResult
from dealerhub.connectors.dms.sandbox_models import SandboxDmsCustomer, SandboxDmsDeal
from dealerhub.db import Database, new_id

VENDOR = "sandbox_dms"


def _faults(contact: DmsContact, method: str) -> None:
    trigger = (contact.last_name or "").strip().lower()
    if trigger == "dmsdown":
        raise ConnectorUnavailable(
            "The DMS is temporarily unavailable (sandbox trigger Dmsdown).",
            vendor=VENDOR,
            http_status=503,
            vendor_code="service_unavailable",
        )
    if trigger == "dmsreject":
        raise ConnectorRejected(
            "The DMS rejected the record (sandbox trigger Dmsreject).",
            vendor=VENDOR,
            http_status=200,
            vendor_code="record_rejected",
        )
    if trigger == "dmsnoaccess":
        raise ConnectorAuthError(
            f"OpenTrack method '{method}' is not enabled for this vendor at the dealership "
            "(sandbox trigger Dmsnoaccess).",
            vendor=VENDOR,
            http_status=200,
            vendor_code="method_not_enabled",
        )


class SandboxDms:
    name = "sandbox"

    def __init__(self, db: Database, dealer_id: str) -> None:
        self.db = db
        self.dealer_id = dealer_id

    def _ensure_customer(
        self, reference: str, contact: DmsContact, customer_key: str | None
    ) -> tuple[str, bool]:
        with self.db.transaction() as s:
            scoped = select(SandboxDmsCustomer).where(
                col(SandboxDmsCustomer.dealer_id) == self.dealer_id
            )
            lookups = []
            if customer_key:
                lookups.append(col(SandboxDmsCustomer.id) == customer_key)
            lookups.append(col(SandboxDmsCustomer.reference) == reference)
            if contact.email:
                lookups.append(col(SandboxDmsCustomer.email) == contact.email.lower())
            if contact.phone:
                lookups.append(
                    (col(SandboxDmsCustomer.phone) == contact.phone)
                    & (col(SandboxDmsCustomer.last_name) == contact.last_name.lower())
                )
            for rule in lookups:
                found = s.scalars(scoped.where(rule).with_for_update()).first()
                if found is not None:
                    return found.id, True
            key = new_id("dmscus")[:20]
            s.add(
                SandboxDmsCustomer(
                    id=key,
                    dealer_id=self.dealer_id,
                    reference=reference,
                    last_name=contact.last_name.lower(),
                    email=contact.email.lower() if contact.email else None,
                    phone=contact.phone,
                )
            )
            return key, False

    def push_lead(self, lead: DmsLeadPush) -> DmsPushResult:
        _faults(lead.contact, "Customers")
        key, matched = self._ensure_customer(lead.reference, lead.contact, lead.customer_key)
        return DmsPushResult(customer_key=key, record_key=key, matched=matched)

    def push_deal(self, deal: DmsDealPush) -> DmsPushResult:
        _faults(deal.contact, "Deals")
        key, matched = self._ensure_customer(deal.reference, deal.contact, deal.customer_key)
        with self.db.transaction() as s:
            found = s.scalars(
                select(SandboxDmsDeal).where(col(SandboxDmsDeal.reference) == deal.reference)
            ).first()
            if found is not None:
                return DmsPushResult(customer_key=key, record_key=found.id, matched=matched)
            number = new_id("dmsdeal")[:20]
            s.add(
                SandboxDmsDeal(
                    id=number, dealer_id=self.dealer_id, reference=deal.reference, customer_key=key
                )
            )
        return DmsPushResult(customer_key=key, record_key=number, matched=matched)
