"""/configuration/health lists every integration a dealer can configure, with what is missing."""

from __future__ import annotations


def test_health_lists_every_configurable_integration(live_api):
    r = live_api.post(
        "/configuration",
        json={
            "trade_in": {"black_book": {"username": "u"}},
            "pen": {"username": "p", "password": "s"},
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    items = {i["name"]: i for i in live_api.get("/configuration/health").get_json()["integrations"]}
    assert {"transunion", "dealer_track", "black_book", "usps", "pen", "bluedog", "hubcash"} <= set(
        items
    )
    assert (items["black_book"]["status"], items["black_book"]["missing_fields"]) == (
        "incomplete",
        ["password"],
    )
    assert items["pen"]["status"] == "configured"
    assert items["usps"]["status"] == "not_configured"
