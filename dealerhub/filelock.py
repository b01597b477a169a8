"""An exclusive, non-blocking ``flock`` on a file: the kernel drops it when the holding
process dies, however it dies, so a killed holder never blocks its successor. The beat
(``dealerhub.beat``) holds one so that a machine never runs two."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)


def try_lock(path: Path) -> int | None:
    """An open descriptor holding the exclusive lock on ``path`` (which records our pid), or
    None if another process holds it. The lock lasts as long as the descriptor is open."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def wait_for_lock(path: Path, *, poll: float = 1.0) -> int:
    """:func:`try_lock` until it succeeds (logged once while another process holds it)."""
    warned = False
    while True:
        fd = try_lock(path)
        if fd is not None:
            return fd
        if not warned:
            log.warning("%s is held by another process; waiting", path)
            warned = True
        time.sleep(poll)
