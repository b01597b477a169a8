"""Where the CLI's state lives, checked before a command touches it.

Without ``DEALERHUB_DATA_DIR`` the data directory is ``./var`` of the *current* directory, so
a command run from elsewhere would silently create a fresh database and fresh keys there
(and then fail on the empty database). Only the commands that set a hub up (``db
upgrade``, ``serve``, ``demo``) may create state; the others refuse in one line saying where
they looked and how to point them elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url


class NoState(Exception):
    """The data directory or database a command needs does not exist."""


def require_existing(environ: Mapping[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    explicit = env.get("DEALERHUB_DATA_DIR")
    data_dir = Path(explicit or "var").resolve()
    hint = (
        "set DEALERHUB_DATA_DIR to the data directory of your hub"
        if not explicit
        else "check DEALERHUB_DATA_DIR"
    ) + ", or create one with 'dealerhub db upgrade' (or 'dealerhub serve')."
    url = env.get("DEALERHUB_DATABASE_URL") or f"sqlite:///{data_dir / 'dealerhub.sqlite3'}"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).resolve()
        if not path.is_file() or path.stat().st_size == 0:
            raise NoState(f"No dealerhub database at {path}: {hint}")
    if not env.get("DEALERHUB_ENCRYPTION_KEYS") and not (data_dir / "encryption.key").is_file():
        raise NoState(
            f"No encryption key at {data_dir / 'encryption.key'} (and DEALERHUB_ENCRYPTION_KEYS "
            f"is not set): {hint}"
        )
