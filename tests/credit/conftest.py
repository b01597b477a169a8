from __future__ import annotations

import time

SSN = "401-23-4567"
SSN_DIGITS = "401234567"
DOB = "1984-07-19"
LICENCE = "D1234-56789-01"


def applicant(**over) -> dict:
    body = {
        "first_name": "Ada",
        "middle_name": "K",
        "last_name": "Lovelace",
        "date_of_birth": DOB,
        "gender": "Female",
        "phone_numbers": ["+1 555 201 3344"],
        "occupation": "Engineer",
        "employer": "Analytical Engines",
        "driver_license_number": LICENCE,
        "social_security_number": SSN,
        "addresses": [
            {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701"}
        ],
        "consent": {
            "obtained_at": int(time.time()) - 60,
            "method": "click_through",
            "text_version": "prequal-2026-01",
            "pull_type": "soft",
        },
    }
    body.update(over)
    return body
