"""Serving a simulator on 127.0.0.1: in the foreground for ``dealerhub simulate`` and in a
background thread for tests (``with serving(app) as base_url: ...``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server

HOST = "127.0.0.1"  # simulators never listen beyond loopback


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a daemon thread on a free (or the given) port; yield its base URL."""
    server = make_server(HOST, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def serve_forever(app: Flask, port: int) -> None:
    make_server(HOST, port, app, threaded=True).serve_forever()
