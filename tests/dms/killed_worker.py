"""A sync worker that dies (SIGKILL from the test) after the DMS call, before its commit.

Run as ``python tests/dms/killed_worker.py '<json>'`` from the worktree root.
"""

from __future__ import annotations

import json
import sys
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

    class PushThenHang:
        name = "hang"

        def push_lead(self, payload):
            result = SandboxDms(db, args["dealer_id"]).push_lead(payload)
            print("PUSHED", flush=True)
            time.sleep(60)  # killed here: the result is never recorded
            return result

    with app.app_context():
        sync.run(db, "lead", args["lead_id"], connector_factory=lambda _s, _t: PushThenHang())


if __name__ == "__main__":
    main()
