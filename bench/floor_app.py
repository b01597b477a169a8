"""The floor for bench/payments.py: the least a payment API request can do on this stack.

A minimal Flask app (not part of the product) that checks the bearer key against the same
``api_keys`` table and inserts one row per request, served by gunicorn exactly like
``dealerhub serve`` (gthread, same workers and threads). Run:

    DEALERHUB_DATABASE_URL=... gunicorn -k gthread -w 2 --threads 4 bench.floor_app:app
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time

from flask import Flask, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from dealerhub.db import make_engine

_engine = make_engine(os.environ["DEALERHUB_DATABASE_URL"])
# Same as the product's write sessions: on SQLite, BEGIN IMMEDIATE (a deferred read-then-write
# transaction fails with "database is locked" under concurrency instead of waiting).
engine = (
    _engine.execution_options(sqlite_begin="IMMEDIATE")
    if _engine.dialect.name == "sqlite"
    else _engine
)
try:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_floor (id VARCHAR(40) PRIMARY KEY, "
                "dealer_id VARCHAR(40) NOT NULL, amount INTEGER NOT NULL, created INTEGER NOT NULL)"
            )
        )
except IntegrityError:
    pass  # PostgreSQL: another gunicorn worker created it at the same moment

app = Flask(__name__)


@app.post("/floor")
def floor() -> object:
    raw = request.headers.get("Authorization", "")[7:]
    digest = hashlib.sha256(raw.encode()).hexdigest()
    with engine.begin() as conn:
        dealer = conn.execute(
            text("SELECT dealer_id FROM api_keys WHERE key_hash = :h"), {"h": digest}
        ).scalar()
        if dealer is None:
            return jsonify(error="unauthorized"), 401
        row_id = "fl_" + secrets.token_urlsafe(18)
        body = request.get_json(force=True)
        conn.execute(
            text("INSERT INTO bench_floor VALUES (:i, :d, :a, :c)"),
            {"i": row_id, "d": dealer, "a": int(body["amount"]), "c": int(time.time())},
        )
    return jsonify(id=row_id, status="ok")
