"""The PEN capability: register, update or unregister a dealer (PEN's ``SetDealer``), and the
DTOs it exchanges with the PEN service.

A refusal by PEN (a duplicate registration, an unknown dealer id) is an *answer*, returned as
a :class:`SetDealerResult` with ``success=False`` and PEN's error; only a failure to get an
answer (transport, credentials, an unreadable body) raises a
``dealerhub.connectors.base.ConnectorError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Action = Literal["REGISTER", "UPDATE", "UNREGISTER"]
ACTIONS: tuple[Action, ...] = ("REGISTER", "UPDATE", "UNREGISTER")

# PEN's TimeZone enumeration (the values its SetDealer request accepts).
TIME_ZONES = (
    "Eastern",
    "Central",
    "Mountain",
    "Pacific",
    "Hawaii",
    "Alaska",
    "Atlantic",
    "Samoa",
    "Chamorro",
)

# The refusals dealerhub and the sandbox PEN give, as PEN ``ErrorCode`` strings. A real PEN
# error code is passed through unchanged; these are only the ones we produce ourselves.
ALREADY_REGISTERED = "DEALER_ALREADY_REGISTERED"
NOT_REGISTERED = "DEALER_NOT_REGISTERED"
ID_MISMATCH = "DEALER_ID_MISMATCH"
NOT_FOUND = "DEALER_NOT_FOUND"
INVALID_DEALER = "INVALID_DEALER_DATA"


@dataclass(frozen=True)
class DealerProfile:
    """The dealership as PEN records it. Contact details are hidden from ``repr``."""

    dealership_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    phone: str | None = field(default=None, repr=False)
    fax: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    web_site: str | None = None
    contact_name: str | None = field(default=None, repr=False)
    time_zone: str | None = None
    observes_daylight_saving: bool | None = None
    is_test_dealer: bool | None = None


@dataclass(frozen=True)
class SetDealerRequest:
    action: Action
    pen_dealer_id: int  # 0 for REGISTER, the dealer's PEN id for UPDATE and UNREGISTER
    profile: DealerProfile


@dataclass(frozen=True)
class PenError:
    """PEN's ``Error``: its log id (quote it to PEN support), text and code."""

    dsi_log_id: str | None
    description: str
    error_code: str


@dataclass(frozen=True)
class SetDealerResult:
    success: bool
    pen_dealer_id: int  # issued by REGISTER; PEN's echo otherwise (0 when it gave none)
    error: PenError | None = None


class PenNetwork(Protocol):
    """PEN's dealer registration. Raises ``ConnectorError`` only when there is no answer."""

    name: str

    def set_dealer(self, request: SetDealerRequest) -> SetDealerResult: ...
