"""The one ``requests.Session`` factory for outbound HTTP: timeouts, a retry policy, our user
agent and an optional client certificate. Connectors build their session here and translate
``requests`` exceptions into :mod:`dealerhub.connectors.base` errors."""

from __future__ import annotations

import os
import urllib.request
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from dealerhub import __version__

USER_AGENT = f"dealerhub/{__version__} (+https://github.com/dealerhub/dealerhub)"
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds


class _TimeoutAdapter(HTTPAdapter):
    """Applies a default timeout: ``requests`` otherwise waits forever."""

    def __init__(self, timeout: tuple[float, float], **kwargs: Any) -> None:
        self._timeout = timeout
        super().__init__(**kwargs)

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def make_session(
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 2,
    retry_methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"}),
    cert: tuple[str, str] | str | None = None,
    verify: bool | str = True,
    headers: dict[str, str] | None = None,
) -> requests.Session:
    """A session for one vendor.

    Only idempotent methods are retried by default (connection errors and 502/503/504):
    a POST that moves money is retried by the caller with the vendor's idempotency key, never
    blindly here. ``cert`` is a client certificate (path, or ``(cert, key)`` paths) for mTLS.
    """
    session = requests.Session()
    retry = Retry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        backoff_factor=0.3,
        status_forcelist=(502, 503, 504),
        allowed_methods=retry_methods,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = _TimeoutAdapter(timeout, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers.update(headers or {})
    if cert is not None:
        session.cert = cert
    # With ``trust_env`` on, requests reads the proxy variables (twice, walking the whole
    # environment), ~/.netrc and the CA-bundle variables again on every call: a tenth of the
    # CPU of a call to a loopback DMS. A process's environment does not change, so it is read
    # once, here. With a proxy configured, requests' own handling (NO_PROXY included) stays.
    session.trust_env = bool(urllib.request.getproxies_environment())
    if verify is True and not session.trust_env:
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.verify = verify
    return session
