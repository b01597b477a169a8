"""`dealerhub serve` supervises its worker and beat: restart with backoff, no orphans, and
never two beats (a lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from dealerhub.filelock import try_lock
from dealerhub.supervisor import Supervisor, backoff
from tests.conftest import wait_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, base=1, cap=60) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_killed_child_is_restarted_and_stop_leaves_nothing():
    sup = Supervisor({"worker": SLEEPER}, backoff_base=0.1, interval=0.05)
    sup.start()
    try:
        child = sup.children[0]
        assert wait_until(lambda: child.proc is not None, 20)
        first = child.proc.pid
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: child.proc is not None and child.proc.pid != first, 20)
        assert child.restarts == 1
    finally:
        sup.stop(timeout=5)
    assert not any(alive(pid) for pid in child.pids)


def test_a_crashing_child_backs_off():
    clock = [0.0]
    sup = Supervisor({"beat": CRASHER}, backoff_base=1, backoff_cap=8, clock=lambda: clock[0])
    child = sup.children[0]
    starts = []
    try:
        for _ in range(40):
            sup.poll_once()
            if child.proc is not None and child.proc.pid not in starts:
                starts.append(child.proc.pid)
                child.proc.wait(timeout=10)
            clock[0] += 0.5
    finally:
        sup.stop(timeout=5)
    # Started at 0, then after 1, 2, 4, 8 and 8 s of backoff: t = 0, 1, 3, 7, 15 (+0.5 s
    # polling steps each) — far fewer than one start per poll.
    assert 4 <= len(starts) <= 6, starts


def test_the_supervisor_dying_takes_its_children_with_it(tmp_path):
    """``kill -9`` of the supervising process: the kernel signals its children (parent-death
    signal), so no worker or beat runs on unsupervised."""
    script = tmp_path / "sup.py"
    pidfile = tmp_path / "child.pid"
    script.write_text(
        "import sys, time\n"
        "from dealerhub.supervisor import Supervisor\n"
        f"s = Supervisor({{'w': {SLEEPER!r}}})\n"
        "s.start()\n"
        "while s.children[0].proc is None: time.sleep(0.05)\n"
        f"open({str(pidfile)!r}, 'w').write(str(s.children[0].proc.pid))\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], env={**os.environ, "PYTHONPATH": os.getcwd()}
    )
    try:
        assert wait_until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 20)
        child = int(pidfile.read_text())
        assert wait_until(lambda: alive(child), 20)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_until(lambda: not alive(child), 10), "the child outlived its supervisor"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_only_one_beat_lock_holder(tmp_path):
    path = tmp_path / "beat.lock"
    first = try_lock(path)
    assert first is not None
    assert try_lock(path) is None  # a second beat waits
    os.close(first)  # the holder dies (the kernel releases its locks)
    second = try_lock(path)
    assert second is not None
    os.close(second)


@pytest.mark.slow
def test_a_second_beat_process_waits_for_the_first(tmp_path):
    code = (
        "import sys, time\n"
        "from dealerhub.filelock import try_lock\n"
        "fd = try_lock(__import__('pathlib').Path(sys.argv[1]))\n"
        "print('locked' if fd is not None else 'busy', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    path = str(tmp_path / "beat.lock")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    holder = subprocess.Popen(
        [sys.executable, "-c", code, path, "30"], stdout=subprocess.PIPE, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        other = subprocess.run(
            [sys.executable, "-c", code, path, "0"], capture_output=True, env=env, check=True
        )
        assert other.stdout.strip() == b"busy"
        holder.kill()  # kill -9: the lock goes with the process
        holder.wait(timeout=10)
        again = subprocess.run(
            [sys.executable, "-c", code, path, "0"], capture_output=True, env=env, check=True
        )
        assert again.stdout.strip() == b"locked"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_children_are_stopped_by_the_thread_that_started_them(monkeypatch):
    """A child's parent-death signal follows the thread that started it, so that thread
    must outlive its children: stopping them from another thread after it exited SIGTERMed
    them twice (beat then died with "Exception ignored … SystemExit" mid-shutdown)."""
    import threading

    sup = Supervisor({"worker": SLEEPER}, interval=0.05)
    stopped_by: list[str] = []
    real = sup._stop_children

    def record(timeout: float) -> None:
        stopped_by.append(threading.current_thread().name)
        real(timeout)

    monkeypatch.setattr(sup, "_stop_children", record)
    sup.start()
    assert wait_until(lambda: sup.children[0].proc is not None, 20)
    sup.stop(timeout=5)
    assert stopped_by == ["supervisor"]
    assert not any(alive(pid) for pid in sup.children[0].pids)
