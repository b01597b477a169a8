"""A sync worker that dies (SIGKILL from the test) after DMS calls, before its commit.

Run as ``python tests/dms/killed_worker.py '<json>'`` from the worktree root. With
``"drain": N`` it drains a batch, and the connector hangs once N of its pushes reached the
DMS (the rest of the batch is still in flight); otherwise it syncs ``lead_id`` alone.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dealerhub.app import create_app
from dealerhub.config import Environment, Secret, Settings
from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.dms import sync


def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(
        env=Environment.TEST,
        data_dir=Path(args["data_dir"]),
        database_url=args["database_url"],
        broker_url=args["broker_url"],
        secret_key=Secret(args["secret_key"]),
        encryption_keys=tuple(Secret(k) for k in args["encryption_keys"]),
        certs_dir=Path(args["data_dir"]) / "certs",
        tasks_eager=True,
    )
    app = create_app(settings)
    db = app.extensions["db"]

    pushes_before_hang = args.get("drain", 1)
    pushed = []
    lock = threading.Lock()

    class PushThenHang:
        name = "hang"

        def push_lead(self, payload):
            with lock:
                if len(pushed) == pushes_before_hang:
                    time.sleep(60)  # the rest of the batch: still in flight when killed
                result = SandboxDms(db, args["dealer_id"]).push_lead(payload)
                pushed.append(payload.reference)
                if len(pushed) == pushes_before_hang:
                    print("PUSHED", flush=True)
            time.sleep(60)  # killed here: the result is never recorded
            return result

    factory = lambda _s, _t: PushThenHang()  # noqa: E731
    with app.app_context():
        if "drain" in args:
            sync.drain(db, connector_factory=factory, options=sync.Options(max_in_flight=8))
        else:
            sync.run(db, "lead", args["lead_id"], connector_factory=factory)


if __name__ == "__main__":
    main()
