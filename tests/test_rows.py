"""``dealerhub.rows``: table models built by writing their fields into the instance (and their
relationships through ordinary attribute assignment), written by SQLAlchemy's unit of work.

No ``from __future__ import annotations`` here: SQLModel cannot resolve a ``list[...]``
relationship annotation that is a string.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Relationship

from dealerhub.db import new_id
from dealerhub.dealers.models import ApiKey, Dealer, KeyKind
from dealerhub.payments.models import Charge, PaymentIntent
from dealerhub.rows import Row, insert_at_commit, insert_now


class RowParent(Row, table=True):
    """Test-only models on their own tables (created and dropped by ``relationship_tables``)."""

    __tablename__ = "test_row_parents"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=40)
    children: list["RowChild"] = Relationship(back_populates="parent")


class RowChild(Row, table=True):
    __tablename__ = "test_row_children"

    id: str = Field(primary_key=True, max_length=40)
    parent_id: str | None = Field(default=None, foreign_key="test_row_parents.id", max_length=40)
    amount: int = 0
    parent: RowParent | None = Relationship(back_populates="children")


_RELATIONSHIP_TABLES = [RowParent.__table__, RowChild.__table__]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def relationship_tables(app: Any) -> Iterator[None]:
    engine = app.extensions["db"].engine
    for table in _RELATIONSHIP_TABLES:
        table.create(engine, checkfirst=True)
    yield
    for table in reversed(_RELATIONSHIP_TABLES):
        table.drop(engine, checkfirst=True)


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
    monkeypatch.setattr("dealerhub.db._last_ms", 0)
    ids = [new_id("pi") for _ in range(40)]
    assert all(len(i) == len("pi_") + 24 for i in ids)
    stamps = [i[3:12] for i in ids]
    # Two ids a millisecond: the second takes the next millisecond, so none repeats.
    assert stamps == sorted(stamps) and len(set(stamps)) == 40
    assert ids == sorted(ids)


def test_ids_never_go_back_when_the_clock_does(monkeypatch: pytest.MonkeyPatch):
    clock = iter([2_000_000_000, 1_000_000_000, 1_000_000_000])  # ns: back by a second
    monkeypatch.setattr("dealerhub.db.time.time_ns", lambda: next(clock))
    monkeypatch.setattr("dealerhub.db._last_ms", 0)
    ids = [new_id("evt") for _ in range(3)]
    assert ids == sorted(ids) and len({i[4:13] for i in ids}) == 3


def _charge(pi: PaymentIntent) -> Charge:
    return Charge(
        id=new_id("ch"),
        dealer_id=pi.dealer_id,
        payment_intent_id=pi.id,
        amount=pi.amount,
        currency="usd",
        status="pending",
    )


def test_new_rows_become_persistent_and_later_changes_are_updates(db: Any, statements: Any):
    pi = _intent()
    charges = [_charge(pi), _charge(pi)]
    with db.transaction() as s:
        s.add_all([pi, *charges])
        s.flush()
        assert inspect(pi).persistent and s.get(PaymentIntent, pi.id) is pi
        charges[1].status = "failed"
        s.flush()
    inserted = sorted({x.split(" (")[0] for x in statements if x.startswith("INSERT")})
    assert inserted == ["INSERT INTO charges", "INSERT INTO payment_intents"]
    assert [x.split(" SET")[0] for x in statements if x.startswith("UPDATE")] == ["UPDATE charges"]
    with db.transaction() as s:
        assert s.get(Charge, charges[1].id).status == "failed"  # type: ignore[union-attr]


def test_parents_are_inserted_before_children(db: Any, relationship_tables: None):
    # The unit of work orders INSERTs by relationships (tables linked by a foreign key alone
    # are flushed in turn, as create_dealer does).
    parent = RowParent(id=new_id("rp"), name="Order Motors")
    child = RowChild(id=new_id("rc"))
    with db.transaction() as s:
        s.add(child)  # the child first: the foreign key (checked on SQLite too) needs the order
        s.add(parent)
        child.parent = parent
    with db.transaction() as s:
        loaded = s.get(RowChild, child.id)
        assert loaded is not None and loaded.parent_id == parent.id


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


def test_relationships_are_set_as_attributes():
    child = RowChild(id=new_id("rc"))
    parent = RowParent(id=new_id("rp"), name="Ada", children=[child])
    assert child.parent is parent  # back_populates ran: SQLAlchemy saw the assignment
    other = RowChild(id=new_id("rc"), parent=parent)
    assert parent.children == [child, other]
    assert RowParent(id=new_id("rp"), name="Bob").children == []
    with pytest.raises(TypeError, match="RowParent has no field"):
        RowParent(id=new_id("rp"), name="Eve", childs=[])


def test_a_child_in_a_relationship_list_gets_its_parents_key(db: Any, relationship_tables: None):
    parent = RowParent(id=new_id("rp"), name="Ada", children=[RowChild(id=new_id("rc"))])
    parent.children.append(RowChild(id=new_id("rc"), amount=5))
    with db.transaction() as s:
        s.add(parent)  # the children come along by the relationship's cascade
    with db.transaction(write=False) as s:
        loaded = s.get(RowParent, parent.id)
        assert loaded is not None
        assert sorted((c.parent_id, c.amount) for c in loaded.children) == [
            (parent.id, 0),
            (parent.id, 5),
        ]
        stmt = select(RowChild.parent_id).where(  # type: ignore[call-overload]
            RowChild.id.in_([c.id for c in parent.children])  # type: ignore[attr-defined]
        )
        assert list(s.scalars(stmt)) == [parent.id, parent.id]


def test_a_child_added_with_its_parent_gets_its_key(db: Any, relationship_tables: None):
    parent = RowParent(id=new_id("rp"), name="Ada")
    child = RowChild(id=new_id("rc"), parent=parent)
    with db.transaction() as s:
        s.add(child)  # the parent first, by the unit of work's dependency order
    with db.transaction(write=False) as s:
        loaded = s.get(RowChild, child.id)
        assert loaded is not None and loaded.parent_id == parent.id
        assert loaded.parent is not None and loaded.parent.name == "Ada"


def _key_and_dealer() -> tuple[ApiKey, Dealer]:
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
    return key, Dealer(id=dealer_id, name="Order Motors")


def test_insert_now_writes_pending_rows_parents_first_and_keeps_them(db: Any, statements: Any):
    key, dealer = _key_and_dealer()
    dealer_id = dealer.id
    with db.transaction() as s:
        s.add_all([key, dealer])
        insert_now(s, key, dealer)  # the child first: the foreign key needs the order
        inserts = [x.split(" (")[0] for x in statements if x.startswith("INSERT")]
        assert inserts == ["INSERT INTO dealers", "INSERT INTO api_keys"]
        assert inspect(key).persistent and not s.new
        assert s.get(ApiKey, key.id) is key
        insert_now(s, key)  # no longer pending: nothing to do
        key.last4 = "wxyz"  # a later change is an UPDATE at the next flush
    assert len([x for x in statements if x.startswith("INSERT")]) == 2
    assert [x.split(" SET")[0] for x in statements if x.startswith("UPDATE")] == ["UPDATE api_keys"]
    with db.transaction(write=False) as s:
        loaded = s.get(ApiKey, key.id)
        assert loaded is not None and (loaded.dealer_id, loaded.last4) == (dealer_id, "wxyz")


def test_insert_now_leaves_rows_with_relationships_to_the_unit_of_work(
    db: Any, relationship_tables: None
):
    parent = RowParent(id=new_id("rp"), name="Ada", children=[RowChild(id=new_id("rc"))])
    with db.transaction() as s:
        s.add(parent)
        insert_now(s, parent, *parent.children)
        assert inspect(parent).pending  # still the unit of work's to write
    with db.transaction(write=False) as s:
        loaded = s.get(RowParent, parent.id)
        assert loaded is not None and [c.parent_id for c in loaded.children] == [parent.id]


def test_insert_at_commit_writes_nothing_before_the_commit_and_then_prebuilt_inserts(
    db: Any, statements: Any
):
    key, dealer = _key_and_dealer()
    with db.transaction() as s:
        s.add_all([key, dealer])
        insert_at_commit(s, key, dealer)
        key.last4 = "wxyz"  # a change before the commit is in the INSERT itself
        assert statements == []  # no statement yet: on SQLite, no write lock either
    inserts = [x.split(" (")[0] for x in statements if x.startswith("INSERT")]
    assert inserts == ["INSERT INTO dealers", "INSERT INTO api_keys"]  # parents first, once
    assert not [x for x in statements if x.startswith("UPDATE")]
    with db.transaction(write=False) as s:
        loaded = s.get(ApiKey, key.id)
        assert loaded is not None and loaded.last4 == "wxyz"


def test_insert_at_commit_rows_flushed_earlier_are_written_once(db: Any, statements: Any):
    key, dealer = _key_and_dealer()
    with db.transaction() as s:
        s.add_all([dealer, key])
        insert_at_commit(s, key, dealer)
        s.expunge(key)
        s.flush()  # the unit of work writes the dealer now, the commit only the key
        s.add(key)
    inserts = [x.split(" (")[0] for x in statements if x.startswith("INSERT")]
    assert inserts == ["INSERT INTO dealers", "INSERT INTO api_keys"]
    with db.transaction(write=False) as s:
        assert s.get(ApiKey, key.id) is not None


def test_insert_at_commit_is_forgotten_on_rollback(db: Any, statements: Any):
    key, dealer = _key_and_dealer()
    s = db.session()
    try:
        s.add_all([key, dealer])
        insert_at_commit(s, key, dealer)
        s.rollback()
        s.commit()  # a later commit of the same session writes nothing
    finally:
        s.close()
    assert not [x for x in statements if x.startswith("INSERT")]
    with db.transaction(write=False) as s:
        assert s.get(Dealer, dealer.id) is None
