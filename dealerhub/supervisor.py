"""Supervision of the background processes ``dealerhub serve`` starts beside gunicorn (the
Celery worker and the beat): a dead one is restarted with exponential backoff, and stopping
takes down each one's whole process group, so nothing is left behind.

Each child runs in a process group of its own (the worker's pool processes join it) and is
started through ``python -m dealerhub.supervisor --exec …``, which asks the kernel to send
it SIGTERM if the supervising thread dies (``PR_SET_PDEATHSIG``), so even a ``kill -9`` of
``dealerhub serve`` leaves no orphan worker or beat running unsupervised.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0  # consecutive short runs: the backoff grows with them
    restart_at: float = 0.0
    restarts: int = 0
    pids: list[int] = field(default_factory=list)


def backoff(failures: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait before restarting a child that died after ``failures`` short runs."""
    return min(cap, base * 2 ** max(failures - 1, 0))


class Supervisor:
    """``Supervisor({"worker": argv, "beat": argv}).start()`` … ``.stop()``."""

    def __init__(
        self,
        children: Mapping[str, Sequence[str]],
        *,
        env: dict[str, str] | None = None,
        stable_after: float = 60.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [Child(name, list(argv)) for name, argv in children.items()]
        self.env = env
        self.stable_after = stable_after
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.interval = interval
        self.clock = clock
        self._stopping = threading.Event()
        self._stop_timeout = 30.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start every child and watch them from a thread (children must be started by the
        thread that watches them: the kernel's parent-death signal follows that thread)."""
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.poll_once()
            self._stopping.wait(self.interval)
        # Stopped from the thread that started the children: their parent-death signal
        # follows this thread, so exiting it first would SIGTERM them a second time (a
        # Python child then dies with "Exception ignored … SystemExit" mid-shutdown).
        self._stop_children(self._stop_timeout)

    def poll_once(self) -> None:
        """Start children that are not running and whose backoff has passed."""
        with self._lock:
            if self._stopping.is_set():
                return
            now = self.clock()
            for child in self.children:
                if child.proc is not None:
                    code = child.proc.poll()
                    if code is None:
                        continue
                    ran = now - child.started
                    child.failures = 1 if ran >= self.stable_after else child.failures + 1
                    delay = backoff(child.failures, base=self.backoff_base, cap=self.backoff_cap)
                    child.restart_at = now + delay
                    log.error(
                        "%s exited with %s after %.0fs; restarting in %.0fs",
                        child.name,
                        code,
                        ran,
                        delay,
                    )
                    _kill_group(child.proc.pid, signal.SIGKILL)  # its pool must not linger
                    child.proc = None
                    child.restarts += 1
                if now >= child.restart_at:
                    self._spawn(child, now)

    def _spawn(self, child: Child, now: float) -> None:
        argv = [sys.executable, "-m", "dealerhub.supervisor", "--exec", *child.argv]
        child.proc = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            argv, env=self.env, process_group=0
        )
        child.started = now
        child.pids.append(child.proc.pid)
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every child's main process (a warm shutdown: a Celery worker lets its pool
        finish the running tasks, so the pool itself is not signalled), then SIGKILL each
        child's whole process group once it has exited or after ``timeout`` seconds."""
        with self._lock:
            self._stop_timeout = timeout
            self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout + 20)
        else:  # never started: children (if any) came from poll_once in this thread
            self._stop_children(timeout)

    def _stop_children(self, timeout: float) -> None:
        procs = [c.proc for c in self.children if c.proc is not None]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _kill_group(proc.pid, signal.SIGKILL)  # the group: pool processes too
            if proc.poll() is None:
                proc.wait(timeout=10)


def run_until_signalled(supervisor: Supervisor, *, timeout: float = 30.0) -> None:
    """Supervise in the foreground until SIGTERM or SIGINT, then stop the children (what
    ``dealerhub worker --beat`` does; ``dealerhub serve`` stops them when gunicorn exits)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: stop.set())
    supervisor.start()
    try:
        stop.wait()
    finally:
        supervisor.stop(timeout=timeout)


def start_supervisor_process(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` (a command that supervises children, such as ``dealerhub worker
    --beat``) as a process of its own, armed to get SIGTERM if the caller dies.

    ``dealerhub serve`` uses this instead of a :class:`Supervisor` thread because it runs
    gunicorn's arbiter in its own process: the arbiter reaps *every* exited child with
    ``waitpid(-1)``, so a supervising thread there would find its worker already reaped
    (``Popen.poll`` then reports exit status 0, or misses the death). Grandchildren are out
    of the arbiter's reach."""
    return subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
        [sys.executable, "-m", "dealerhub.supervisor", "--exec", *argv]
    )


def stop_supervisor_process(proc: subprocess.Popen[bytes], *, timeout: float = 40.0) -> None:
    """SIGTERM a process from :func:`start_supervisor_process` (it stops its children
    warmly) and wait for it to be gone; SIGKILL after ``timeout`` seconds. Polls rather
    than ``wait``: if gunicorn's arbiter reaped it first, ``poll`` still reports it gone."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            deadline = float("inf")
        time.sleep(0.1)


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pgid, sig)


def exec_child(argv: Sequence[str]) -> None:
    """Become ``argv`` with SIGTERM armed for when the supervising thread dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the supervisor died before the signal was armed
            raise SystemExit(1)
    os.execv(argv[0], list(argv))  # noqa: S606 - the supervisor's own argument list


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "--exec":
        raise SystemExit("usage: python -m dealerhub.supervisor --exec PROGRAM [ARGS...]")
    exec_child(sys.argv[2:])
