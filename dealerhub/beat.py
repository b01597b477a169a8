"""The one periodic scheduler: ``python -m dealerhub.beat`` (what ``dealerhub serve`` and
``dealerhub beat`` run) takes the exclusive lock ``<data dir>/beat.lock`` before it starts
Celery beat, so a second beat on the machine (a restart racing the old one, an operator's
extra ``dealerhub beat``) waits instead of scheduling every sweep twice. Importing it builds
the app from the environment, like ``dealerhub.worker``."""

from __future__ import annotations

import os
import sys

from dealerhub.filelock import wait_for_lock
from dealerhub.worker import app, flask_app


def main(argv: list[str]) -> None:
    data_dir = flask_app.extensions["settings"].data_dir
    lock = wait_for_lock(data_dir / "beat.lock")
    os.set_inheritable(lock, False)  # held by this process only, for its whole life
    schedule = str(data_dir / "celerybeat-schedule")
    # --quiet: no banner on stdout (dealerhub.worker has beat log through dealerhub's handler).
    app.start(["--quiet", "beat", "--schedule", schedule, "--loglevel", "INFO", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
