from __future__ import annotations

from typing import Any

PROVIDER = {"x-service-provider": "dealertrack"}


def lead_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane.doe@example.com",
            "phone": "(555) 010-2030",
            "address": {
                "line1": "1 Main St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
                "country": "US",
            },
        },
        "vehicle": {"vin": "1HGCM82633A004352", "year": 2024, "make": "Honda", "model": "Accord"},
        "source": "dealer website",
    }
    for key, value in over.items():
        if key in body and isinstance(value, dict) and isinstance(body[key], dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


def post_lead(api: Any, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    headers = {**PROVIDER, **kw.pop("headers", {})}
    return api.post("/dms/leads", json=body or lead_body(), headers=headers, **kw)
