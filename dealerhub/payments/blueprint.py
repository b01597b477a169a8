"""The payments blueprint and the per-app PaymentsConfig, shared by the route modules."""

from __future__ import annotations

from flask import current_app

from dealerhub.api import Blueprint, connectors, session
from dealerhub.payments.common import PaymentsConfig, Processors

blp = Blueprint("payments", __name__, description="Stripe-style payments.")


def config() -> PaymentsConfig:
    cfg = current_app.extensions.get("payments_config")
    if cfg is None:
        cfg = PaymentsConfig.from_settings(current_app.extensions["settings"])
        current_app.extensions["payments_config"] = cfg
    return cfg


def processors() -> Processors:
    """Where the payment services find processors, for this request's session."""
    return connectors().processors_for(session())
