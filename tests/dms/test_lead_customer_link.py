"""Which customer a lead is linked to (issue 15): the duplicate rule (same email, or same
phone and same last name), never a phone alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dms.conftest import lead_body, post_lead

ADF_MARIA = """<?xml version="1.0" encoding="UTF-8"?>
<?adf version="1.0"?>
<adf><prospect status="new">
  <requestdate>2026-11-20T10:00:00-05:00</requestdate>
  <vehicle interest="buy" status="new"><year>2025</year><make>Toyota</make>
    <model>Camry</model></vehicle>
  <customer><contact><name part="first">Maria</name><name part="last">Lopez</name>
    <email>maria@example.com</email><phone type="voice">512-555-0147</phone></contact></customer>
  <vendor><vendorname>Test Motors</vendorname></vendor>
</prospect></adf>"""


def _person(first: str, last: str, email: str | None, phone: str | None) -> dict[str, Any]:
    customer: dict[str, Any] = {"first_name": first, "last_name": last}
    customer["email"] = email
    customer["phone"] = phone
    body = lead_body()
    body["customer"] = {k: v for k, v in customer.items() if v is not None}
    body["consent"] = {"contact_by_phone": True}
    return body


def test_docs_json_and_adf_leads_sharing_a_phone_are_two_people(api: Any) -> None:
    """The docs' Jane Doe (JSON) and Maria Lopez (ADF) share 512-555-0147."""
    jane = post_lead(api, _person("Jane", "Doe", "jane@example.com", "512-555-0147"))
    assert jane.status_code == 200, jane.get_json()
    maria = api.post(
        "/dms/leads",
        data=ADF_MARIA,
        headers={"x-service-provider": "dealertrack", "Content-Type": "application/x-adf+xml"},
    )
    assert maria.status_code == 200, maria.get_json()
    jane_lead, maria_lead = jane.get_json(), maria.get_json()
    assert maria_lead["customer_id"] != jane_lead["customer_id"]
    # Jane's customer id reads and changes Jane's lead, not Maria's.
    got = api.get(f"/dms/leads/{jane_lead['customer_id']}").get_json()
    assert got["id"] == jane_lead["id"]
    assert got["customer"]["last_name"] == "Doe"
    patched = api.patch(
        f"/dms/leads/{jane_lead['customer_id']}", json={"status": "contacted"}
    ).get_json()
    assert patched["id"] == jane_lead["id"]
    maria_now = api.get(f"/dms/leads/{maria_lead['customer_id']}").get_json()
    assert maria_now["id"] == maria_lead["id"]
    assert maria_now["status"] == "new"


# (first lead, second lead, same customer?) for every combination of email / phone / last name.
CASES = [
    # same email: the same person whatever the phone or the name
    (
        ("Jane", "Doe", "a@example.com", "512-555-0100"),
        ("Jane", "Doe", "a@example.com", None),
        True,
    ),
    (("Jane", "Doe", "a@example.com", None), ("J", "Smith", "a@example.com", "512-555-0199"), True),
    # same phone and same last name (any case): the same person
    (("Jane", "Doe", None, "512-555-0100"), ("John", "doe", None, "(512) 555-0100"), True),
    (
        ("Jane", "Doe", "a@example.com", "512-555-0100"),
        ("Jane", "Doe", "b@example.com", "512-555-0100"),
        True,
    ),
    # same phone, different last name: two people
    (("Jane", "Doe", None, "512-555-0100"), ("Maria", "Lopez", None, "512-555-0100"), False),
    (
        ("Jane", "Doe", "a@example.com", "512-555-0100"),
        ("Maria", "Lopez", "m@example.com", "512-555-0100"),
        False,
    ),
    (
        ("Jane", "Doe", "a@example.com", "512-555-0100"),
        ("Maria", "Lopez", None, "512-555-0100"),
        False,
    ),
    # same last name, different contacts: two people
    (
        ("Jane", "Doe", "a@example.com", "512-555-0100"),
        ("John", "Doe", "b@example.com", "512-555-0101"),
        False,
    ),
    # nothing shared
    (("Jane", "Doe", "a@example.com", None), ("Maria", "Lopez", "m@example.com", None), False),
]


@pytest.mark.parametrize(("first", "second", "same"), CASES)
def test_link_rule(api: Any, first: tuple[Any, ...], second: tuple[Any, ...], same: bool) -> None:
    a = post_lead(api, _person(*first))
    assert a.status_code == 200, a.get_json()
    b = post_lead(api, _person(*second))
    assert b.status_code == 200, b.get_json()
    assert (a.get_json()["customer_id"] == b.get_json()["customer_id"]) is same


def test_existing_customer_matched_by_phone_only_with_the_same_last_name(api: Any) -> None:
    doe = api.post(
        "/payment/customers", json={"name": "Jane Doe", "phone": "+15125550100"}
    ).get_json()
    other = post_lead(api, _person("Maria", "Lopez", None, "512-555-0100")).get_json()
    assert other["customer_id"] != doe["id"]
    mine = post_lead(api, _person("Jane", "DOE", None, "512-555-0100")).get_json()
    assert mine["customer_id"] == doe["id"]
