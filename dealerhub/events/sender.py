"""The HTTP side of webhook attempts: one POST, a timeout, no redirects, at most 1 KB of
the answer read. Only tasks import this module (services never import requests).

Each endpoint host gets one ``requests.Session`` whose connection pool holds up to
``max_in_flight`` keep-alive connections, so a batch to one receiver reuses its connections
instead of opening one per POST; :func:`post_many` sends a batch from a thread pool.

A POST connects to the address the destination check resolved and passed (the URL's host
goes in the ``Host`` header and, for https, in SNI and certificate verification), so a
second DNS answer can never redirect it (DNS rebinding). Proxies are never used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

from dealerhub.events.delivery import RESPONSE_SNIPPET, Destination, Prepared, SendResult

_lock = threading.Lock()
_sessions: dict[str, requests.Session] = {}
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
# Connections kept per host; raised by post_many to its concurrency.
_per_host = 10


class PinnedAdapter(HTTPAdapter):
    """An adapter for URLs whose host is the address to connect to and whose ``Host``
    header names the server: TLS sends that name (SNI) and verifies the certificate
    against it, not against the address."""

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> HTTPConnectionPool:
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        options: dict[str, Any] = dict(pool_kwargs)
        name = request.headers.get("Host")
        if name and host_params["scheme"] == "https":
            hostname = urlsplit(f"//{name}").hostname
            options.update(server_hostname=hostname, assert_hostname=hostname)
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=options)


def pinned(url: str, address: str) -> tuple[str, str]:
    """``url`` with its host replaced by ``address``, and the ``Host`` header it needs."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), parts.netloc


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
                # One pool per address the host resolved to (usually one).
                adapter = PinnedAdapter(pool_connections=4, pool_maxsize=_per_host, max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                _sessions[origin] = session
    return session


def post(prepared: Prepared, *, address: str | None = None) -> SendResult:
    """POST ``prepared`` to ``address`` (the checked one; ``None``: resolve the name)."""
    started = time.perf_counter()
    url, headers = prepared.url, prepared.headers
    if address is not None:
        url, host = pinned(prepared.url, address)
        headers = {**headers, "Host": host}
    try:
        response = _http(prepared.url).post(
            url,
            data=prepared.body,
            headers=headers,
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
    destination: Callable[[Prepared], Destination],
) -> list[tuple[Prepared, SendResult]]:
    """Send a batch with up to ``max_in_flight`` POSTs at once; ``destination`` checks where
    each may go (it resolves DNS, so it runs in the pool too)."""
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
            where = destination(prepared)
            if where.refused:
                return prepared, SendResult(None, 0, None, f"blocked: {where.refused}")
            return prepared, post(prepared, address=where.address)

    if len(batch) == 1:
        return [one(batch[0])]
    return list(pool.map(one, batch))
