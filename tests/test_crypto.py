from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, String, Table, create_engine, text
from sqlalchemy.orm import Session

from dealerhub import crypto


@pytest.fixture
def ring():
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    crypto.configure(keys)
    return keys


@pytest.fixture(autouse=True)
def restore_ring(app):
    yield
    crypto.configure(app.extensions["settings"].encryption_keys)


@given(st.text())
def test_encrypt_round_trip(value):
    assert crypto.decrypt_str(crypto.encrypt_str(value)) == value


def test_ciphertext_does_not_contain_plaintext(ring):
    token = crypto.encrypt_str("123-45-6789")
    assert "123-45-6789" not in token


def test_old_keys_still_decrypt_and_rotation_moves_to_newest(tmp_path, monkeypatch):
    monkeypatch.setattr(crypto, "rotation_hooks", [])  # only this test's table
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    meta = MetaData()
    table = Table(
        "secrets", meta, Column("id", String, primary_key=True), Column("v", crypto.Encrypted)
    )
    meta.create_all(engine)
    crypto.configure([old])
    with Session(engine) as session:
        session.execute(table.insert().values(id="a", v="hunter2"))
        session.execute(table.insert().values(id="b", v=None))
        session.commit()
    crypto.configure([new, old])  # the new key first: it encrypts; the old one still decrypts
    with Session(engine) as session:
        assert session.execute(table.select()).all()[0].v == "hunter2"
        assert crypto.rotate_all(session, meta) == 1
        session.commit()
    crypto.configure([new])  # the old key is gone: values must already be under the new one
    with Session(engine) as session:
        assert session.execute(table.select().where(table.c.id == "a")).one().v == "hunter2"
        raw = session.execute(text("SELECT v FROM secrets WHERE id='a'")).scalar()
    assert "hunter2" not in raw
    crypto.configure([Fernet.generate_key().decode()])
    with pytest.raises(InvalidToken):
        crypto.decrypt_str(raw)


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (crypto.mask_ssn, "123-45-6789", "***-**-6789"),
        (crypto.mask_ssn, "123456789", "***-**-6789"),
        (crypto.mask_last4, "4242 4242 4242 4242", "************4242"),
        (crypto.mask_last4, "D1234567", "****4567"),
        (crypto.mask_date, "1980-01-31", "****-**-**"),
        (crypto.mask_key, "sk_test_abcdefghijklmnop", "sk_test_…mnop"),
    ],
)
def test_masks(fn, value, expected):
    assert fn(value) == expected


def test_hash_key_is_stable_and_not_the_key():
    assert crypto.hash_key("sk_test_x") == crypto.hash_key("sk_test_x")
    assert "sk_test_x" not in crypto.hash_key("sk_test_x")
