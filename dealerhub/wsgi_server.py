"""gunicorn, started from ``dealerhub serve`` (it handles SIGTERM/SIGINT gracefully)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Any]) -> None:
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.app_factory()  # in each worker process, after the fork


def run_gunicorn(bind: str, *, workers: int, threads: int, app_factory: Callable[[], Any]) -> None:
    _Gunicorn(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "dealerhub.gunicorn_worker.JsonErrorWorker",
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": None,  # the app logs every request itself, as JSON with its request id
        },
        app_factory,
    ).run()
