"""The event-type catalogue (issue 15): served at GET /event-types, the only types webhook
endpoints may subscribe to, and the same list as the types the code records."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dealerhub.events.catalogue import EVENT_TYPES, known
from tests.conftest import Api, assert_error

TYPE_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
ROOT = Path(__file__).resolve().parents[2] / "dealerhub"
# f-string types the scan below cannot expand: the DMS sync's "{kind}.synced" for each kind.
DYNAMIC = {"{c.kind}.synced": ("lead", "deal"), "{c.kind}.sync_failed": ("lead", "deal")}


def _emitted() -> set[str]:
    """Event types in the source: constants passed to ``record_event`` / ``event`` helpers
    and the values of ``*_EVENTS`` / ``EVENTS`` maps."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if path.name == "catalogue.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                if name == "record_event" or name == "event" or name.endswith("_event"):
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            if TYPE_RE.match(arg.value):
                                found.add(arg.value)
                        elif isinstance(arg, ast.JoinedStr):
                            text = ast.unparse(arg)[2:-1]
                            for kind in DYNAMIC[text]:
                                found.add(text.replace("{c.kind}", kind))
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            if any(isinstance(t, ast.Name) and t.id.endswith("EVENTS") for t in targets):
                value = node.value  # type: ignore[union-attr]
                for item in ast.walk(value):
                    is_text = isinstance(item, ast.Constant) and isinstance(item.value, str)
                    if is_text and TYPE_RE.match(item.value):  # type: ignore[attr-defined]
                        found.add(item.value)  # type: ignore[attr-defined]
    return found


def test_catalogue_is_exactly_what_the_code_emits() -> None:
    emitted = _emitted()
    assert emitted - set(EVENT_TYPES) == set(), "emitted but not in the catalogue"
    assert set(EVENT_TYPES) - emitted == set(), "in the catalogue but never emitted"


def test_event_types_are_served(api: Api, pk_api: Api) -> None:
    r = api.get("/event-types")
    assert r.status_code == 200
    body = r.get_json()
    assert body["object"] == "list" and body["has_more"] is False
    types = [e["type"] for e in body["data"]]
    assert types == sorted(EVENT_TYPES)
    assert {
        "type": "payment_intent.succeeded",
        "description": EVENT_TYPES["payment_intent.succeeded"],
    } in body["data"]
    assert_error(api.get("/event-types?limit=3"), 400, "invalid_request_error", "parameter_unknown")


@pytest.mark.parametrize(
    "bad", ["payment_intnet.succeeded", "payment_intent.succeded", "bench.*", "*.teleported"]
)
def test_webhook_endpoint_refuses_types_the_hub_never_emits(api: Api, bad: str) -> None:
    r = api.post(
        "/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hook", "enabled_events": ["customer.created", bad]},
    )
    body = assert_error(r, 400, "invalid_request_error", "parameter_invalid")
    assert body["param"] == "enabled_events.1"
    assert "GET /event-types" in body["message"]
    assert api.get("/webhook-endpoints").get_json()["data"] == []


def test_update_refuses_unknown_types_and_keeps_the_old_list(api: Api) -> None:
    we = api.post(
        "/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hook", "enabled_events": ["payment_intent.*"]},
    ).get_json()
    r = api.patch(f"/webhook-endpoints/{we['id']}", json={"enabled_events": ["charge.sucess"]})
    assert_error(r, 400, "invalid_request_error")
    assert api.get(f"/webhook-endpoints/{we['id']}").get_json()["enabled_events"] == [
        "payment_intent.*"
    ]


@pytest.mark.parametrize("good", ["*", "payment_intent.*", "*.succeeded", "lead.synced"])
def test_known_types_and_matching_groups_are_accepted(good: str) -> None:
    assert known(good)
