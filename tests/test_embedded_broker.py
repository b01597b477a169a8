"""The embedded broker never loses a message to, or dies on, a file it cannot read."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from kombu import Connection
from kombu.transport import virtual

from dealerhub import embedded_broker


@pytest.fixture(autouse=True)
def fresh_bindings(monkeypatch):
    """kombu keeps the filesystem transport's exchange bindings per process (one folder per
    process in production); each test here uses a folder of its own."""
    monkeypatch.setattr(embedded_broker.Transport, "global_state", virtual.BrokerState())


def connect(folder: Path) -> Connection:
    queue = folder / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    return Connection(
        f"{embedded_broker.SCHEME}://",
        transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


def test_a_half_written_file_is_skipped_then_read_when_complete(tmp_path):
    with connect(tmp_path) as conn:
        q = conn.SimpleQueue("jobs")
        # Another writer created its file (oldest name, so first in line) but has not written.
        early = tmp_path / "queue" / "1_00000000-0000-0000-0000-000000000000.jobs.msg"
        early.write_bytes(b"")
        q.put({"n": 1})
        msg = q.get(timeout=2)
        assert msg.payload == {"n": 1}
        msg.ack()
        assert early.exists()  # left in place for its writer, not deleted
        # The writer finishes (a copy of a whole message): it is delivered too.
        q.put({"n": 2})
        (written,) = [p for p in (tmp_path / "queue").iterdir() if p != early]
        early.write_bytes(written.read_bytes())
        got = [q.get(timeout=2).payload["n"] for _ in range(2)]
        assert got == [2, 2]
        assert list((tmp_path / "queue").iterdir()) == []
        q.close()


def test_an_old_unreadable_file_is_quarantined_not_fatal(tmp_path, caplog):
    with connect(tmp_path) as conn:
        q = conn.SimpleQueue("jobs")
        # Written before the good message (an older time stamp), so read first.
        bad = tmp_path / "queue" / "1_11111111-1111-1111-1111-111111111111.jobs.msg"
        bad.write_bytes(b'{"trunc')
        old = time.time() - embedded_broker.GRACE_SECONDS - 5
        os.utime(bad, (old, old))
        q.put({"n": 3})
        assert q.get(timeout=2).payload == {"n": 3}
        assert not bad.exists()
        assert (tmp_path / "corrupt" / bad.name).read_bytes() == b'{"trunc'
        assert "unreadable message file" in caplog.text
        q.close()


def test_messages_are_read_in_time_order_across_digit_counts(tmp_path):
    with connect(tmp_path) as conn:
        q = conn.SimpleQueue("jobs")
        # Name order would read "12000_" before "9_" ("1" < "9") and "100_" before "99_".
        for stamp, n in ((12000, 4), (9, 1), (100, 3), (99, 2)):
            before = set((tmp_path / "queue").iterdir())
            q.put({"n": n})
            (written,) = set((tmp_path / "queue").iterdir()) - before
            written.rename(written.with_name(f"{stamp}_{written.name.partition('_')[2]}"))
        assert [q.get(timeout=2).payload["n"] for _ in range(4)] == [1, 2, 3, 4]
        q.close()


def test_messages_are_written_whole_under_their_final_name(tmp_path):
    with connect(tmp_path) as conn:
        q = conn.SimpleQueue("jobs")
        q.put({"n": 4})
        files = list((tmp_path / "queue").iterdir())
        assert len(files) == 1 and not files[0].name.startswith(".")
        assert json.loads(files[0].read_bytes())["body"]
        q.close()
