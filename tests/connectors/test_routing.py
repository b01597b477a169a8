"""Routing and the checks on a dealer's gateway configuration, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.connectors.processors.base import ProcessorCapabilities
from dealerhub.connectors.processors.catalog import GatewaySpec
from dealerhub.connectors.processors.routing import ProcessorNotConfigured, candidates, validate
from dealerhub.errors import InvalidRequest


def _spec(name: str, **caps: Any) -> GatewaySpec:
    return GatewaySpec(
        name=name,
        build=lambda block: None,  # type: ignore[arg-type,return-value]
        capabilities=ProcessorCapabilities(**caps),
        required_fields=("api_key",),
        secret_fields=frozenset({"api_key"}),
        base_urls={"sandbox": "https://sandbox.example", "production": "https://example"},
    )


SPECS = {
    "cards": _spec("cards"),
    "banks": _spec("banks", bank_debit=True),
    "banks2": _spec("banks2", bank_debit=True, currencies=frozenset({"usd", "cad"})),
}


def _tree(routing: dict[str, Any] | None = None, **gateways: dict[str, Any]) -> dict[str, Any]:
    return {"payment_gateways": gateways, "payment_routing": routing or {}}


OK = {"api_key": "k"}


def _route(tree: dict[str, Any], livemode: bool = True, **facts: Any) -> list[str]:
    args = {"method_type": "card", "currency": "usd", "on_behalf_of": None, **facts}
    return candidates(tree, livemode, specs=SPECS, **args)


def test_rules_match_in_order_and_the_default_takes_the_rest():
    tree = _tree(
        {
            "default": "cards",
            "rules": [
                {"on_behalf_of": "acct_rooftop", "gateways": ["banks2"]},
                {"payment_method_type": "us_bank_account", "gateways": ["banks", "banks2"]},
                {"currency": "cad", "gateways": ["banks2"]},
            ],
        },
        cards=OK,
        banks=OK,
        banks2=OK,
    )
    validate(tree, True, SPECS)
    assert _route(tree) == ["cards"]
    assert _route(tree, method_type="us_bank_account") == ["banks", "banks2"]
    assert _route(tree, currency="cad") == ["banks2"]
    assert _route(tree, on_behalf_of="acct_rooftop", method_type="us_bank_account") == ["banks2"]


def test_one_configured_gateway_is_the_default_and_none_is_a_clear_400():
    assert _route(_tree(cards=OK)) == ["cards"]
    with pytest.raises(ProcessorNotConfigured) as err:
        _route(_tree())
    assert err.value.param == "payment_routing"
    with pytest.raises(ProcessorNotConfigured):
        _route(_tree(cards=OK, banks=OK))  # two and no default: no guess


def test_test_mode_uses_the_sandbox_unless_routing_names_a_gateway():
    assert _route(_tree(cards=OK), livemode=False) == ["sandbox"]
    tree = _tree({"test_mode": "cards"}, cards=OK)
    validate(tree, False, SPECS)
    assert _route(tree, livemode=False) == ["cards"]


@pytest.mark.parametrize(
    ("tree", "livemode", "param"),
    [
        (_tree(cards={**OK, "environment": "sandbox"}), True, "payment_gateways.cards.environment"),
        (
            _tree(cards={**OK, "environment": "production"}),
            False,
            "payment_gateways.cards.environment",
        ),
        (_tree({"default": "nope"}, cards=OK), True, "payment_routing.default"),
        (_tree({"default": "banks"}, cards=OK), True, "payment_routing.default"),  # not configured
        (_tree({"default": "cards"}, cards={}), True, "payment_routing.default"),  # incomplete
        (
            _tree({"default": "cards"}, cards={**OK, "enabled": False}),
            True,
            "payment_routing.default",
        ),
        (
            _tree(
                {
                    "rules": [
                        {"payment_method_type": "us_bank_account", "gateways": ["banks", "cards"]}
                    ]
                },
                cards=OK,
                banks=OK,
            ),
            True,
            "payment_routing.rules.0.gateways.1",  # cards cannot debit banks
        ),
        (
            _tree({"rules": [{"currency": "cad", "gateways": ["banks"]}]}, banks=OK),
            True,
            "payment_routing.rules.0.gateways.0",
        ),
        (_tree({"test_mode": "cards"}, cards=OK), True, "payment_routing.test_mode"),
    ],
)
def test_unsound_configuration_is_a_400_naming_its_path(tree, livemode, param):
    with pytest.raises(InvalidRequest) as err:
        validate(tree, livemode, SPECS)
    assert err.value.param == param
