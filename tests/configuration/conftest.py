from __future__ import annotations

import base64

import pytest

from tests.configuration.pki import client_p12

PASSWORD = "s3cret-pass"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def full_tree(p12: bytes | None = None) -> dict:
    tu = {
        "api_url": "https://netaccess-test.transunion.com",
        "system_id": "DEALERSYS",
        "system_password": "sys-pass-1",
        "subscriber_code": "1234567",
        "subscriber_prefix": "0622",
        "subscriber_password": "sub-pass-1",
        "industry_code": "F",
        "environment": "standardTest",
    }
    if p12 is not None:
        tu["certificate_file"] = b64(p12)
        tu["certificate_password"] = PASSWORD
    return {
        "fraud_identification": {"provider": "sandbox", "api_url": "https://fraud.example"},
        "credit_application": {"transunion": tu},
        "dealer_management_system": {
            "dealer_track": {
                "dms": {
                    "api_url": "https://ot.dms.dealertrack.com",
                    "username": "dtuser",
                    "password": "dt-pass-1",
                    "enterprise_code": "ZE",
                    "company_number": "ZE7",
                }
            }
        },
    }


@pytest.fixture
def p12_bytes() -> bytes:
    return client_p12(PASSWORD)
