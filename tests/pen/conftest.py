from __future__ import annotations

from typing import Any


def dealer_body(action: str = "REGISTER", pen_dealer_id: int = 0, **over: Any) -> dict[str, Any]:
    """A SetDealer request with every PEN field."""
    body: dict[str, Any] = {
        "action": action,
        "penDealerId": pen_dealer_id,
        "dealershipName": "Sunrise Motors",
        "address1": "1200 Harbor Blvd",
        "address2": "Suite 4",
        "city": "Costa Mesa",
        "state": "CA",
        "zipCode": "92626",
        "phone": "(714) 555-0142",
        "fax": "714-555-0143",
        "email": "fi@sunrisemotors.example",
        "webSite": "https://sunrisemotors.example",
        "contactName": "Dana Whitfield",
        "timeZone": "Pacific",
        "observesDaylightSaving": True,
        "isTestDealer": True,
    }
    body.update(over)
    return body
