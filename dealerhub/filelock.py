"""Exclusive, non-blocking file locks: the kernel drops them when the holding process dies,
however it dies, so a killed holder never blocks its successor. The beat (``dealerhub.beat``)
holds one so that a machine never runs two; a request holds one per Idempotency-Key on SQLite
(``dealerhub.idempotency``)."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
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


# struct flock on Linux: l_type, l_whence, l_start, l_len, l_pid (and padding to 32 bytes).
_FLOCK = struct.Struct("hhqqi4x")


def try_lock_byte(path: Path, offset: int) -> int | None:
    """An open descriptor holding an exclusive lock on byte ``offset`` of ``path``, or None if
    another descriptor holds it. Open-file-description locks (``F_OFD_SETLK``) belong to the
    descriptor, not the process: two threads of one process exclude each other too, and the
    lock goes when the descriptor is closed or its process dies. The file stays empty: a lock
    may cover bytes beyond its end, so one file serves any number of names (one byte each)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0))
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd
