"""A dealerhub app served on a real 127.0.0.1 port for tests that need a live server (a
browser, the CLI's listen and trigger)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server

from dealerhub.app import create_app
from tests.conftest import Api, DealerKeys, bind_tasks_to, make_dealer


@dataclass
class LiveHub:
    url: str
    app: Any
    dealer: DealerKeys

    @property
    def api(self) -> Api:
        return Api(self.app.test_client(), self.dealer.secret_key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_hub(base_settings: Any, main_app: Any, name: str = "Live Motors") -> Iterator[LiveHub]:
    """The app on a free port, with PUBLIC_URL pointing at it (the 3-D Secure page's URL);
    Celery is bound back to ``main_app`` afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = base_settings.with_overrides(extra={**base_settings.extra, "PUBLIC_URL": url})
    served = create_app(settings)
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveHub(url, served, make_dealer(served, name))
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        served.extensions["db"].dispose()
        bind_tasks_to(main_app)
