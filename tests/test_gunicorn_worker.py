"""Requests gunicorn refuses before the app sees them still get the JSON error envelope."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

APP = """
from dealerhub.wsgi_server import run_gunicorn

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

run_gunicorn("127.0.0.1:{port}", workers=1, threads=2, app_factory=lambda: app)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", APP.format(port=port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _send(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").endswith(
                b"ok"
            ):
                break
        except OSError:
            time.sleep(0.2)
    yield port
    os.killpg(proc.pid, signal.SIGINT)  # quick shutdown: no graceful wait for idle connections
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431, "headers_too_large"),
        (b"NOT A REQUEST LINE\r\n\r\n", 400, "request_invalid"),
    ],
    ids=["long_url", "many_headers", "bad_request_line"],
)
def test_refused_requests_get_the_json_envelope(server, raw, status, code):
    head, _, body = _send(server, raw).partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"Content-Type: application/json" in head
    error = json.loads(body)["error"]
    assert error["code"] == code and error["type"] == "invalid_request_error"
    assert error["request_id"].startswith("req_")
