"""What every command of the ``dealerhub`` CLI shares: the lazily built app.

Area command modules import this, never ``dealerhub.cli`` (which imports the app and so
every area)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy.orm import Session

from dealerhub.config import Settings, load_settings

AppFactory = Callable[[Settings | None], Flask]


class Context:
    """Builds the app on first use, so ``dealerhub --help`` needs no database. ``factory``
    is ``create_app`` in the real CLI; tests hand in an ``app`` they built."""

    def __init__(self, factory: AppFactory | None = None, *, app: Flask | None = None) -> None:
        self._factory = factory
        self._app = app
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._app.extensions["settings"] if self._app else load_settings()
        return self._settings

    @property
    def app(self) -> Flask:
        if self._app is None:
            if self._factory is None:
                raise click.UsageError("this command needs the app, and no factory was given")
            self._app = self._factory(self._settings)
        return self._app

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.app.extensions["db"].transaction() as session:
            yield session

    def close(self) -> None:
        if self._app is not None and self._factory is not None:
            self._app.extensions["db"].dispose()  # only an app this context built


pass_ctx = click.make_pass_decorator(Context)
