"""The HTTP side of webhook attempts: one POST, a timeout, no redirects, at most 1 KB of
the answer read. Only tasks import this module (services never import requests).

Each endpoint host gets one ``requests.Session`` whose connection pool holds up to
``max_in_flight`` keep-alive connections, so a batch to one receiver reuses its connections
instead of opening one per POST; :func:`post_many` sends a batch from a thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from dealerhub.events.delivery import RESPONSE_SNIPPET, Prepared, SendResult

_lock = threading.Lock()
_sessions: dict[str, requests.Session] = {}
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
# Connections kept per host; raised by post_many to its concurrency.
_per_host = 10


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _http(url: str) -> requests.Session:
    origin = _origin(url)
    session = _sessions.get(origin)
    if session is None:
        with _lock:
            session = _sessions.get(origin)
            if session is None:
                session = requests.Session()
                # Proxies from the environment would bypass the destination check.
                session.trust_env = False
                adapter = HTTPAdapter(pool_connections=1, pool_maxsize=_per_host, max_retries=0)
                session.mount(f"{urlsplit(url).scheme}://", adapter)
                _sessions[origin] = session
    return session


def post(prepared: Prepared) -> SendResult:
    started = time.perf_counter()
    try:
        response = _http(prepared.url).post(
            prepared.url,
            data=prepared.body,
            headers=prepared.headers,
            timeout=prepared.timeout,
            allow_redirects=False,  # a redirect could lead to an address we refuse
            stream=True,
        )
        try:
            head = next(response.iter_content(RESPONSE_SNIPPET), b"")[:RESPONSE_SNIPPET]
        except requests.RequestException:
            head = b""
        finally:
            response.close()  # the whole (short) answer was read: the connection is reused
        latency = int((time.perf_counter() - started) * 1000)
        return SendResult(response.status_code, latency, head.decode("utf-8", "replace"))
    except requests.Timeout:
        error = "timeout"
    except requests.ConnectionError:
        error = "connection_error"
    except requests.RequestException as exc:
        error = type(exc).__name__
    latency = int((time.perf_counter() - started) * 1000)
    return SendResult(None, latency, None, error)


def post_many(
    batch: Sequence[Prepared],
    *,
    max_in_flight: int,
    refuse: Callable[[Prepared], str | None],
) -> list[tuple[Prepared, SendResult]]:
    """Send a batch with up to ``max_in_flight`` POSTs at once; ``refuse`` says why one must
    not be sent (the destination check, which resolves DNS, runs in the pool too)."""
    global _pool, _pool_size, _per_host
    with _lock:
        if _pool is None or _pool_size < max_in_flight:
            # Created lazily in the process that sends: a pool made before a prefork
            # worker forks would have no threads in the children.
            _pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="webhook-send")
            _pool_size = max_in_flight
            _per_host = max(_per_host, max_in_flight)
        pool = _pool

    # The shared pool may be larger (sized by an earlier, larger setting): bound this batch.
    slots = threading.BoundedSemaphore(max_in_flight)

    def one(prepared: Prepared) -> tuple[Prepared, SendResult]:
        with slots:
            reason = refuse(prepared)
            if reason:
                return prepared, SendResult(None, 0, None, f"blocked: {reason}")
            return prepared, post(prepared)

    if len(batch) == 1:
        return [one(batch[0])]
    return list(pool.map(one, batch))
