"""Every connector sorts transport failures the same way: certainly not sent, or maybe sent."""

from __future__ import annotations

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from dealerhub.connectors.base import ConnectorOutcomeUnknown, ConnectorUnavailable
from dealerhub.connectors.transport import send

URL = "https://gateway.test/api/sale"
REFUSED = MaxRetryError(None, "/api/sale", NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
DROPPED = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))


def _send(moves_money: bool) -> requests.Response:
    return send(
        requests.Session(),
        "POST",
        URL,
        vendor="gw",
        label="Gw",
        what="sale",
        moves_money=moves_money,
    )


@responses.activate
@pytest.mark.parametrize(
    ("raised", "money_error", "read_error", "code"),
    [
        (
            requests.ConnectTimeout("t"),
            ConnectorUnavailable,
            ConnectorUnavailable,
            "connect_timeout",
        ),
        (
            requests.ConnectionError(REFUSED),
            ConnectorUnavailable,
            ConnectorUnavailable,
            "connection_refused",
        ),
        (requests.ReadTimeout("t"), ConnectorOutcomeUnknown, ConnectorUnavailable, "read_timeout"),
        (
            requests.ConnectionError(DROPPED),
            ConnectorOutcomeUnknown,
            ConnectorUnavailable,
            "connection_dropped",
        ),
        (
            requests.exceptions.ChunkedEncodingError("cut"),
            ConnectorOutcomeUnknown,
            ConnectorUnavailable,
            "transport_error",
        ),
    ],
)
def test_what_may_have_reached_the_vendor_is_never_called_unavailable_for_money(
    raised, money_error, read_error, code
):
    responses.post(URL, body=raised)
    with pytest.raises(ConnectorUnavailable) as money:
        _send(moves_money=True)
    assert type(money.value) is money_error and money.value.vendor_code == code
    with pytest.raises(ConnectorUnavailable) as read:
        _send(moves_money=False)
    assert type(read.value) is read_error and read.value.vendor == "gw"


@responses.activate
def test_an_answer_is_returned_as_it_is():
    responses.post(URL, json={"ok": True}, status=503)
    assert _send(moves_money=True).status_code == 503
