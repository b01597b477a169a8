"""Which gateway serves a payment, from a dealer's configuration tree, and the checks that
keep that configuration sound. Pure functions over the decrypted tree: configuration
validates with them when a dealer writes, the registry routes with them when money moves.

The tree's two blocks::

    payment_gateways:
      bluedog: {enabled: true, environment: production, api_key: …}
    payment_routing:
      default: bluedog               # the dealer's gateway
      test_mode: bluedog             # optional: rehearse on the gateway's sandbox in test mode
      rules:                         # ordered, first match wins
        - {payment_method_type: us_bank_account, gateways: [forward, acceptblue]}
        - {on_behalf_of: acct_…, gateways: [hubcash]}

A rule's later gateways are failover targets, used only for bank debits and only after the
earlier one certainly moved no money.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dealerhub.connectors.processors.catalog import SANDBOX, GatewaySpec
from dealerhub.errors import InvalidRequest

GATEWAYS_KEY = "payment_gateways"
ROUTING_KEY = "payment_routing"
MATCH_KEYS = ("payment_method_type", "currency", "on_behalf_of")


class UnsupportedFlow(InvalidRequest):
    """400: the gateway cannot do this flow at all; said before any call is made."""

    code = "flow_not_supported"


class ProcessorNotConfigured(InvalidRequest):
    code = "processor_not_configured"


def environment_for(livemode: bool) -> str:
    """Test-mode configuration may only use a gateway's sandbox, live mode only production."""
    return "production" if livemode else "sandbox"


def gateway_block(tree: Mapping[str, Any], name: str) -> dict[str, Any]:
    block = tree.get(GATEWAYS_KEY, {}).get(name)
    return dict(block) if isinstance(block, Mapping) else {}


def missing_fields(spec: GatewaySpec, block: Mapping[str, Any]) -> list[str]:
    return [f for f in spec.required_fields if not block.get(f)]


def usable(spec: GatewaySpec, block: Mapping[str, Any], livemode: bool) -> bool:
    """Configured, enabled, complete and in the mode's environment."""
    return (
        bool(block)
        and block.get("enabled", True) is not False
        and block.get("environment", environment_for(livemode)) == environment_for(livemode)
        and not missing_fields(spec, block)
    )


def validate(tree: Mapping[str, Any], livemode: bool, specs: Mapping[str, GatewaySpec]) -> None:
    """Raise a 400 naming the first unsound path: a gateway in the wrong environment, or a
    routing entry naming an unknown, unconfigured or incapable gateway."""
    env = environment_for(livemode)
    for name, block in (tree.get(GATEWAYS_KEY) or {}).items():
        given = block.get("environment", env) if isinstance(block, Mapping) else env
        if given != env:
            mode = "live" if livemode else "test"
            raise InvalidRequest(
                f"A {mode}-mode configuration may only use the {env} environment of {name}.",
                param=f"{GATEWAYS_KEY}.{name}.environment",
            )
    routing = tree.get(ROUTING_KEY) or {}
    for key in ("default", "test_mode"):
        if routing.get(key) is not None:
            if key == "test_mode" and livemode:
                raise InvalidRequest(
                    "payment_routing.test_mode belongs to the test-mode configuration.",
                    param=f"{ROUTING_KEY}.{key}",
                )
            _require_gateway(tree, livemode, specs, routing[key], f"{ROUTING_KEY}.{key}", {})
    for i, rule in enumerate(routing.get("rules") or []):
        for j, name in enumerate(rule.get("gateways") or []):
            _require_gateway(
                tree, livemode, specs, name, f"{ROUTING_KEY}.rules.{i}.gateways.{j}", rule
            )


def _require_gateway(
    tree: Mapping[str, Any],
    livemode: bool,
    specs: Mapping[str, GatewaySpec],
    name: str,
    path: str,
    rule: Mapping[str, Any],
) -> None:
    spec = specs.get(name)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none"
        raise InvalidRequest(f"Unknown gateway {name!r} (known: {known}).", param=path)
    if not usable(spec, gateway_block(tree, name), livemode):
        raise InvalidRequest(
            f"Gateway {name!r} is not configured, enabled and complete in payment_gateways.{name}.",
            param=path,
        )
    caps = spec.capabilities
    if rule.get("payment_method_type") == "us_bank_account" and not caps.bank_debit:
        raise InvalidRequest(f"Gateway {name!r} cannot debit bank accounts.", param=path)
    if rule.get("payment_method_type") == "card" and not caps.card:
        raise InvalidRequest(f"Gateway {name!r} cannot take cards.", param=path)
    currency = rule.get("currency")
    if currency and currency.lower() not in caps.currencies:
        raise InvalidRequest(f"Gateway {name!r} does not take {currency}.", param=path)


def candidates(
    tree: Mapping[str, Any],
    livemode: bool,
    *,
    method_type: str,
    currency: str,
    on_behalf_of: str | None,
    specs: Mapping[str, GatewaySpec],
) -> list[str]:
    """The gateways a new payment may go to, in order (failover after the first)."""
    routing = tree.get(ROUTING_KEY) or {}
    if not livemode:
        name = routing.get("test_mode")
        return [name] if name else [SANDBOX]
    facts = {"payment_method_type": method_type, "currency": currency, "on_behalf_of": on_behalf_of}
    for rule in routing.get("rules") or []:
        if all(rule.get(k) is None or rule[k] == facts[k] for k in MATCH_KEYS):
            return list(rule.get("gateways") or [])
    if routing.get("default"):
        return [routing["default"]]
    configured = [n for n, spec in specs.items() if usable(spec, gateway_block(tree, n), True)]
    if len(configured) == 1:
        return configured  # one gateway configured: it is the default without saying so
    raise ProcessorNotConfigured(
        "No live payment gateway serves this payment: configure payment_gateways and "
        "name one in payment_routing.default.",
        param=ROUTING_KEY,
    )
