"""gunicorn, started from ``dealerhub serve`` (it handles SIGTERM/SIGINT gracefully)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from dealerhub.config import load_log_settings
from dealerhub.logs import configure_logging


class GunicornLogger(glogging.Logger):
    """gunicorn's logger, writing through dealerhub's log handler (JSON or text as configured,
    masked) instead of its own text handlers: the arbiter's "Listening at" and "Booting
    worker" lines look like every other line. Running gunicorn by hand, pass
    ``--logger-class dealerhub.wsgi_server.GunicornLogger``."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # also on a configuration reload (SIGHUP)
        level, json_output = load_log_settings()
        configure_logging(level, json_output=json_output, capture_warnings=True)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                if getattr(handler, "_gunicorn", False):  # how gunicorn marks its own
                    logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)  # DEALERHUB_LOG_LEVEL, on the root, decides
            logger.propagate = True


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
            "logger_class": GunicornLogger,
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": None,  # the app logs every request itself, as JSON with its request id
            # gunicorn's control socket has one default path per user (~/.gunicorn/
            # gunicorn.ctl): a second `serve` on the machine took it over from the first.
            # `serve` is managed by its signals and /healthz, so it opens none.
            "control_socket_disable": True,
        },
        app_factory,
    ).run()
