"""``db.Row``: table models built by writing fields straight into the instance."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from dealerhub.db import new_id
from dealerhub.payments.models import Charge, PaymentIntent


def _intent(**extra: Any) -> PaymentIntent:
    return PaymentIntent(
        id=new_id("pi"),
        dealer_id="dlr_row",
        amount=2000,
        currency="usd",
        status="requires_payment_method",
        client_secret="secret",
        **extra,
    )


def test_defaults_and_factories_are_applied_per_instance(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("dealerhub.db.now", lambda: 1_700_000_000)
    one, two = _intent(), _intent()
    assert (one.capture_method, one.amount_received, one.livemode) == ("automatic", 0, False)
    assert one.created == 1_700_000_000  # the default factory ran, at construction
    assert one.metadata_ == {} and one.payment_method_types == []
    one.metadata_["k"] = "v"
    assert two.metadata_ == {}  # each instance gets its own dict


def test_unknown_fields_are_an_error():
    with pytest.raises(TypeError, match="PaymentIntent has no field"):
        _intent(amonut=5)


def test_rows_insert_load_and_track_changes(db: Any):
    pi = _intent(metadata_={"order": "42"})
    assert inspect(pi).transient
    with db.transaction() as s:
        s.add(pi)
        s.add(
            Charge(
                id=new_id("ch"),
                dealer_id="dlr_row",
                payment_intent_id=pi.id,
                amount=2000,
                currency="usd",
                status="pending",
            )
        )
        s.flush()
        pi.status = "succeeded"  # a change after the INSERT becomes an UPDATE
    with db.transaction() as s:
        loaded = s.get(PaymentIntent, pi.id)
        assert loaded is not None
        assert (loaded.status, loaded.metadata_, loaded.amount) == (
            "succeeded",
            {"order": "42"},
            2000,
        )
        assert loaded.capture_method == "automatic"
