"""Mutual TLS from an in-memory PKCS#12: one ``SSLContext`` and one pooled ``requests.Session``
per (dealer, mode, certificate fingerprint, CA bundle).

``ssl.SSLContext.load_cert_chain`` only reads files, so the key is re-encrypted under a random
one-time passphrase and written with the certificate chain to a 0600 file inside a private
temporary directory that is removed as soon as the context has loaded it. The context and its
session are cached, so keep-alive connections (and their TLS sessions) are reused and the
certificate is not parsed again per request; a new certificate has a new fingerprint and
therefore a new entry.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from requests.adapters import HTTPAdapter

from dealerhub import __version__

USER_AGENT = f"dealerhub/{__version__}"
_CACHE_SIZE = 256
_lock = threading.Lock()
_sessions: OrderedDict[tuple[Any, ...], requests.Session] = OrderedDict()
stats = {"contexts_built": 0}


def build_context(p12: bytes, password: str, *, ca_bundle: str | None = None) -> ssl.SSLContext:
    """A client context presenting the PKCS#12's certificate and verifying the server against
    ``ca_bundle`` (a PEM file) or, without one, the system trust store."""
    key, cert, chain = pkcs12.load_key_and_certificates(p12, password.encode() or None)
    if key is None or cert is None:
        raise ValueError("the PKCS#12 file lacks a key or certificate")
    passphrase = secrets.token_bytes(32)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    pem += cert.public_bytes(serialization.Encoding.PEM)
    for extra in chain:
        pem += extra.public_bytes(serialization.Encoding.PEM)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_bundle)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="dealerhub-mtls-") as tmp:  # mkdtemp: mode 0700
        path = Path(tmp) / "client.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        context.load_cert_chain(path, password=passphrase)
    stats["contexts_built"] += 1
    return context


class SSLContextAdapter(HTTPAdapter):
    """Hands our context to urllib3's pools (requests has no PKCS#12 support of its own)."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(*args, **kwargs)


def mtls_session(
    key: tuple[Any, ...], p12: bytes, password: str, *, ca_bundle: str | None = None
) -> requests.Session:
    """The cached session for ``key`` (which must include the certificate fingerprint)."""
    full_key = (*key, ca_bundle)
    with _lock:
        session = _sessions.get(full_key)
        if session is not None:
            _sessions.move_to_end(full_key)
            return session
    context = build_context(p12, password, ca_bundle=ca_bundle)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    # No automatic retries: a credit pull must never be repeated behind the caller's back.
    session.mount("https://", SSLContextAdapter(context, max_retries=0, pool_maxsize=8))
    with _lock:
        _sessions[full_key] = session
        while len(_sessions) > _CACHE_SIZE:
            _, old = _sessions.popitem(last=False)
            old.close()
    return session


def clear_cache() -> None:
    with _lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()
