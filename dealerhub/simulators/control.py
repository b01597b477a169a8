"""What every gateway simulator shares: its in-memory ledger, fault injection and the control
endpoints under ``/__simulator__/`` that tests and dealers use to drive it.

Control endpoints (JSON):

- ``GET  /__simulator__/transactions`` lists every transaction the simulator holds;
- ``POST /__simulator__/settle`` settles every pending transaction (``{"return_code": "R01"}``
  returns pending bank debits instead);
- ``POST /__simulator__/faults`` queues faults for the next money-moving requests:
  ``{"faults": [{"status": 503}, {"delay": 2.0}, {"status": 500, "after": true}]}``. A fault
  with ``after`` false (the default) answers *before* the request is processed, so nothing
  happens at the gateway; ``delay`` and ``after`` faults process the request first, so a client
  that gives up sees an ambiguous outcome while the transaction exists;
- ``POST /__simulator__/reset`` forgets everything.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    delay: float = 0.0
    after: bool = False
    body: Any = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Fault:
        return cls(
            status=int(data["status"]) if data.get("status") is not None else None,
            delay=float(data.get("delay") or 0.0),
            after=bool(data.get("after", False)),
            body=data.get("body"),
        )


@dataclass
class Ledger:
    """The simulator's state, shared by its request threads under one lock."""

    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def next_fault(self) -> Fault | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None

    def reset(self) -> None:
        with self.lock:
            self.transactions.clear()
            self.faults.clear()


def with_faults(
    ledger: Ledger, handle: Callable[[], Response], error_body: Callable[[int], Any]
) -> Response:
    """Run a money-moving request ``handle`` under the next queued fault, if any.
    ``error_body(status)`` is the vendor's error envelope for an injected status."""
    fault = ledger.next_fault()
    if fault is None:
        return handle()
    if fault.status is not None and not fault.after:
        return _fault_response(fault, error_body)
    response = handle()
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status is not None:
        return _fault_response(fault, error_body)
    return response


def _fault_response(fault: Fault, error_body: Callable[[int], Any]) -> Response:
    assert fault.status is not None
    body = fault.body if fault.body is not None else error_body(fault.status)
    response = jsonify(body)
    response.status_code = fault.status
    return response


def add_control_routes(
    app: Flask, ledger: Ledger, settle: Callable[[str | None], list[str]]
) -> None:
    """Register the ``/__simulator__/`` endpoints. ``settle(return_code)`` settles (or, for
    bank debits with a return code, returns) every pending transaction and gives their ids."""

    @app.get("/__simulator__/transactions")
    def _transactions() -> Response:
        with ledger.lock:
            return jsonify({"data": list(ledger.transactions.values())})

    @app.post("/__simulator__/settle")
    def _settle() -> Response:
        body = request.get_json(silent=True) or {}
        return jsonify({"settled": settle(body.get("return_code"))})

    @app.post("/__simulator__/faults")
    def _faults() -> Response:
        body = request.get_json(silent=True) or {}
        faults = [Fault.parse(item) for item in body.get("faults", [])]
        with ledger.lock:
            ledger.faults.extend(faults)
        return jsonify({"queued": len(ledger.faults)})

    @app.post("/__simulator__/reset")
    def _reset() -> Response:
        ledger.reset()
        return jsonify({"reset": True})
