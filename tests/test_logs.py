from __future__ import annotations

import json
import logging

import pytest

from dealerhub.logs import JsonFormatter, mask_sensitive

SECRETS = {
    "ssn": "123-45-6789",
    "card": "4242424242424242",
    "spaced card": "4000 0566 5566 5556",
    "secret key": "sk_test_51HxyzABCdef0123456789",
    "live key": "sk_live_zzzzzzzzzzzzzzzzzzzz",
    "publishable key": "pk_test_abcdefabcdef1234",
    "client secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
    "webhook secret": "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH",
}


@pytest.mark.parametrize(("label", "value"), SECRETS.items())
def test_mask_sensitive_hides_each_kind(label, value):
    masked = mask_sensitive(f"value {value} end")
    assert value not in masked, label


def test_client_secret_keeps_the_intent_id():
    masked = mask_sensitive(SECRETS["client secret"])
    assert masked == "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_********"


@pytest.mark.parametrize(
    "text",
    [
        '{"password": "hunter2"}',
        "password=hunter2&user=bob",
        "system_password: 'hunter2'",
        '"certificate_password":"hunter2"',
    ],
)
def test_password_values_are_masked(text):
    assert "hunter2" not in mask_sensitive(text)


def test_ordinary_numbers_survive():
    # Order numbers, amounts and timestamps must stay readable in logs.
    text = "amount 125000 at 1700000000 order 1234567890123"  # 13 digits, fails Luhn
    assert mask_sensitive(text) == text


def test_records_are_masked_for_every_handler(app, caplog):
    log = logging.getLogger("dealerhub.test")
    with caplog.at_level(logging.INFO):
        log.info("applicant %s paid with %s", SECRETS["ssn"], SECRETS["card"])
        try:
            raise ValueError(f"bad key {SECRETS['secret key']}")
        except ValueError:
            log.exception("failed")
    for value in (SECRETS["ssn"], SECRETS["card"], SECRETS["secret key"]):
        assert value not in caplog.text
    assert "***-**-****" in caplog.text
    assert "************4242" in caplog.text


def test_json_formatter_carries_request_and_dealer_ids(toy_api, toy_dealer, caplog):
    with caplog.at_level(logging.INFO):
        response = toy_api.post("/toy/widgets", json={"name": "w"})
    access = [r for r in caplog.records if r.name == "dealerhub.request"]
    assert access
    entry = json.loads(JsonFormatter().format(access[-1]))
    assert entry["request_id"] == response.headers["Request-Id"]
    assert entry["dealer_id"] == toy_dealer.id
    assert entry["status"] == 200
    assert entry["path"] == "/toy/widgets"
    assert toy_dealer.secret_key not in caplog.text


def test_json_formatter_output_is_one_json_object_per_line():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "hello world"


def test_api_key_sent_to_the_app_never_reaches_the_logs(toy_client, caplog):
    key = "sk_test_" + "q" * 40
    with caplog.at_level(logging.DEBUG):
        toy_client.get("/toy/widgets", headers={"Authorization": f"Bearer {key}"})
    assert caplog.records
    assert key not in caplog.text


def test_json_formatter_masks_tracebacks_and_records_made_elsewhere(app):
    from dealerhub.logs import JsonFormatter

    formatter = JsonFormatter()
    try:
        raise ValueError("card 4242424242424242 refused for sk_live_abcdef123456")
    except ValueError:
        import sys

        record = logging.getLogRecordFactory()(
            "t", logging.ERROR, __file__, 1, "failed: %s", ("sk_test_abc123",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "4242424242424242" not in line and "sk_live_abcdef123456" not in line
    assert "sk_test_abc123" not in line and "sk_test_********" in line
    # A record that did not come through the masking factory is masked whole.
    foreign = logging.makeLogRecord(
        {"msg": "key sk_live_zzz999 used", "path": "/x?ssn=123-45-6789"}
    )
    line = formatter.format(foreign)
    assert "sk_live_zzz999" not in line and "123-45-6789" not in line


def test_durations_are_not_taken_for_card_numbers():
    # One in ten random fractions passes the Luhn check; none may be masked.
    import random

    rng = random.Random(1)
    lines = [f"task succeeded in {rng.random()}s" for _ in range(500)]
    assert [mask_sensitive(line) for line in lines] == lines
    assert mask_sensitive("card 4242424242424242.") == "card ************4242."


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # An access log line: the status follows the path (the greedy card pattern took
        # "4242…4242 401" as one 19-digit run that fails the Luhn check, and left it clear).
        (
            "GET /payment/customers/4242424242424242 401",
            "GET /payment/customers/************4242 401",
        ),
        ("order 12 4242424242424242", "order 12 ************4242"),
        ("4000 0566 5566 5556 401", "************5556 401"),
        ("1234567890123 4242-4242-4242-4242", "1234567890123 ************4242"),
    ],
)
def test_a_card_number_beside_another_number_is_masked(text, masked):
    assert mask_sensitive(text) == masked


def test_json_lines_carry_utc_time_with_its_offset():
    import json
    import logging
    from datetime import UTC, datetime

    from dealerhub.logs import JsonFormatter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 1796076966.25  # 2026-11-30T22:16:06.250 UTC
    ts = json.loads(JsonFormatter().format(record))["ts"]
    assert ts == "2026-11-30T22:16:06.250+00:00"
    assert datetime.fromisoformat(ts) == datetime.fromtimestamp(record.created, UTC)
