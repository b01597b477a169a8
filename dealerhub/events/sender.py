"""The HTTP side of a webhook attempt: one POST, a timeout, no redirects, at most 1 KB of
the answer read. Only tasks import this module (services never import requests)."""

from __future__ import annotations

import time

import requests

from dealerhub.events.delivery import RESPONSE_SNIPPET, Prepared, SendResult

_session: requests.Session | None = None


def _http() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        # Proxies from the environment would bypass the destination check.
        _session.trust_env = False
    return _session


def post(prepared: Prepared) -> SendResult:
    started = time.perf_counter()
    try:
        response = _http().post(
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
            response.close()
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
