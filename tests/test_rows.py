"""``dealerhub.rows``: table models built by writing their fields into the instance, and new
rows written by one prebuilt INSERT per table at flush."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from dealerhub.db import new_id
from dealerhub.dealers.models import ApiKey, Dealer, KeyKind
from dealerhub.payments.models import Charge, PaymentIntent


def _intent(**extra: Any) -> PaymentIntent:
    extra.setdefault("id", new_id("pi"))
    return PaymentIntent(
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


def test_ids_sort_in_the_order_they_were_made(monkeypatch: pytest.MonkeyPatch):
    clock = iter([1_700_000_000_000_000_000 + n * 500_000 for n in range(40)])  # 0.5 ms apart
    monkeypatch.setattr("dealerhub.db.time.time_ns", lambda: next(clock))
    ids = [new_id("pi") for _ in range(40)]
    assert all(len(i) == len("pi_") + 24 for i in ids)
    stamps = [i[3:12] for i in ids]
    assert stamps == sorted(stamps) and len(set(stamps)) == 20  # two ids per millisecond
    assert len(set(ids)) == 40


def _charge(pi: PaymentIntent) -> Charge:
    return Charge(
        id=new_id("ch"),
        dealer_id=pi.dealer_id,
        payment_intent_id=pi.id,
        amount=pi.amount,
        currency="usd",
        status="pending",
    )


def test_one_insert_per_table_then_updates_through_the_unit_of_work(db: Any, statements: Any):
    pi = _intent()
    charges = [_charge(pi), _charge(pi)]
    with db.transaction() as s:
        s.add_all([pi, *charges])
        s.flush()
        assert inspect(pi).persistent and s.get(PaymentIntent, pi.id) is pi
        charges[1].status = "failed"
        s.flush()
    inserts = [x.split(" (")[0] for x in statements if x.startswith("INSERT")]
    assert sorted(inserts) == ["INSERT INTO charges", "INSERT INTO payment_intents"]
    assert [x.split(" SET")[0] for x in statements if x.startswith("UPDATE")] == ["UPDATE charges"]
    with db.transaction() as s:
        assert s.get(Charge, charges[1].id).status == "failed"  # type: ignore[union-attr]


def test_parents_are_inserted_before_children(db: Any):
    dealer_id = new_id("dlr")
    key = ApiKey(
        id=new_id("key"),
        dealer_id=dealer_id,
        kind=KeyKind.SECRET,
        livemode=False,
        key_hash=new_id("h"),
        prefix="sk_test_",
        last4="abcd",
    )
    with db.transaction() as s:
        s.add(key)  # the child first: the foreign key (checked on SQLite too) needs the order
        s.add(Dealer(id=dealer_id, name="Order Motors"))
    with db.transaction() as s:
        assert s.get(ApiKey, key.id) is not None


def test_rolled_back_rows_are_transient_again(db: Any):
    pi = _intent()
    s = db.session()
    s.add(pi)
    s.flush()
    s.rollback()
    assert inspect(pi).transient
    s.add(pi)  # and can be added again, as after the unit of work's own rollback
    s.commit()
    s.close()
    with db.transaction() as s2:
        assert s2.get(PaymentIntent, pi.id) is not None


def test_a_savepoint_keeps_the_unit_of_work_semantics(db: Any):
    first = _intent()
    with db.transaction() as s:
        s.add(first)
    with db.transaction() as s:
        kept = _intent()
        s.add(kept)
        with pytest.raises(IntegrityError), s.begin_nested():
            s.add(_intent(id=first.id))  # a duplicate key, rolled back to the savepoint
        s.flush()
    with db.transaction() as s:
        assert s.get(PaymentIntent, kept.id) is not None
