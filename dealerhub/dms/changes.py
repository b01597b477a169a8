"""The events of a saved lead or deal: the masked snapshot they carry, and what every change
does once the record's fields are set (send it to the DMS again, record ``<kind>.updated``
with the fields that changed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dealerhub.dms import queue
from dealerhub.dms.deal_schemas import DEAL
from dealerhub.dms.masking import mask_deal, mask_lead
from dealerhub.dms.models import Deal, Lead
from dealerhub.dms.schemas import LEAD
from dealerhub.events.service import record_event
from dealerhub.tenancy import Tenant


def event_snapshot(record: Lead | Deal) -> dict[str, Any]:
    """The record as its events show it: the API's rendering with contact data masked."""
    if isinstance(record, Lead):
        return mask_lead(LEAD.dump(record))
    return mask_deal(DEAL.dump(record))


def record_update_event(
    session: Session, tenant: Tenant, event_type: str, record: Lead | Deal, before: dict[str, Any]
) -> None:
    """After a change to ``record`` (whose :func:`event_snapshot` was ``before``): queue it for
    the DMS again and record ``event_type`` with the previous values of what changed."""
    queue.mark_changed(session, record)
    session.flush()
    after = event_snapshot(record)
    previous = {k: before[k] for k in after if k != "dms_sync" and before.get(k) != after[k]}
    record_event(session, tenant, event_type, after, previous_attributes=previous)
