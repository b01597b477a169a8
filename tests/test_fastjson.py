"""Responses and JSON columns are encoded with orjson, keeping Flask's conversions."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from flask import jsonify

from dealerhub import fastjson


def test_responses_keep_insertion_order(api):
    body = api.post("/payment/customers", json={"name": "Ada"}).get_data(as_text=True)
    assert body.lstrip().startswith('{"id":"cus_')


def test_jsonify_uses_orjson(app, monkeypatch):
    with app.test_request_context():
        body = app.json.response({"b": 1, "day": dt.date(2026, 1, 2)}).get_data(as_text=True)
        monkeypatch.setattr(app.json, "compact", False)  # undone after the test
        pretty = app.json.response({"b": 1}).get_data(as_text=True)
    # Flask's own provider would sort nothing here but write the date as an HTTP date.
    assert body == '{"b":1,"day":"2026-01-02"}\n'
    assert pretty == '{\n  "b": 1\n}\n'


def test_jsonify_arguments_follow_flask(app):
    with app.test_request_context():
        one = jsonify({"a": 1})
        several = jsonify(1, "two", None)
        named = jsonify(b=1, a=2)
        nothing = jsonify()
        with pytest.raises(TypeError, match="either args or kwargs"):
            jsonify(1, a=2)
    assert one.get_data(as_text=True) == '{"a":1}\n'
    assert several.get_data(as_text=True) == '[1,"two",null]\n'
    assert named.get_data(as_text=True) == '{"b":1,"a":2}\n'
    assert nothing.get_data(as_text=True) == "null\n"
    assert one.mimetype == "application/json"
    assert isinstance(one, app.response_class)


def test_debug_mode_indents_unless_compact_is_set(app, monkeypatch):
    monkeypatch.setattr(app, "debug", True)
    with app.test_request_context():
        pretty = app.json.response({"b": 1}).get_data(as_text=True)
        monkeypatch.setattr(app.json, "compact", True)
        compact = app.json.response({"b": 1}).get_data(as_text=True)
    assert (pretty, compact) == ('{\n  "b": 1\n}\n', '{"b":1}\n')


def test_types_orjson_lacks_fall_back_to_flask(app):
    with app.app_context():
        out = app.json.loads(app.json.dumps({"d": decimal.Decimal("1.50"), 3: dt.date(2026, 1, 2)}))
    assert out == {"d": "1.50", "3": "2026-01-02"}  # dates as ISO 8601, not HTTP dates
    assert app.json.dumps({"b": 1, "a": 2}, indent=2) == '{\n  "b": 1,\n  "a": 2\n}'


def test_column_serialiser_round_trips():
    value = {"metadata": {"k": "v"}, "n": [1, None, True], "ü": "é"}
    assert fastjson.loads(fastjson.dumps(value)) == value
