"""A webhook receiver on 127.0.0.1 for tests, the benchmark and local development: it
records every request and answers with a configurable status."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    # The client's (host, port): distinct ports count the connections a sender opened.
    peer: tuple[str, int] = ("", 0)

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    # Room for a sender opening its keep-alive pool all at once: with the default listen
    # backlog of 5, connection attempts beyond it wait for a SYN retransmit (1 s).
    request_queue_size = 256


@dataclass
class Receiver:
    """``with Receiver() as r: ... r.url ... r.requests``. ``status`` may be an int or a
    callable taking the request number (1-based) and returning a status; ``delay`` makes
    every answer wait that many seconds (a slow or hanging receiver)."""

    status: int | Callable[[int], int] = 200
    delay: float | Callable[[int], float] = 0.0
    record_bodies: bool = True
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per response and no Nagle: otherwise each header line is its own
            # packet and delayed ACKs add ~40 ms to every delivery.
            wbufsize = 65536
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            dict(self.headers.items()),
                            body if receiver.record_bodies else b"",
                            time.time(),
                            (str(self.client_address[0]), int(self.client_address[1])),
                        )
                    )
                    number = len(receiver.requests)
                delay = receiver.delay(number) if callable(receiver.delay) else receiver.delay
                if delay:
                    time.sleep(delay)
                status = receiver.status(number) if callable(receiver.status) else receiver.status
                answer = json.dumps({"n": number}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def event_ids(self) -> list[str]:
        with self._lock:
            return [r.json()["id"] for r in self.requests]

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.02)
        return len(self.requests) >= count
