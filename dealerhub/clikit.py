"""What every command of the ``dealerhub`` CLI shares: the lazily built app.

Area command modules import this, never ``dealerhub.cli`` (which imports the app and so
every area)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from sqlalchemy.orm import Session

from dealerhub import clistate
from dealerhub.config import Settings, load_settings
from dealerhub.dealers.models import Dealer

AppFactory = Callable[[Settings | None], Flask]


class Context:
    """Builds the app on first use, so ``dealerhub --help`` needs no database. ``factory``
    is ``create_app`` in the real CLI; tests hand in an ``app`` they built."""

    def __init__(self, factory: AppFactory | None = None, *, app: Flask | None = None) -> None:
        self._factory = factory
        self._app = app
        self._settings: Settings | None = None
        # False for commands that must find an existing hub (see dealerhub.clistate).
        self.may_create = True

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if self._app is None and not self.may_create:
                try:
                    clistate.require_existing()
                except clistate.NoState as exc:
                    raise click.ClickException(str(exc)) from None
            self._settings = self._app.extensions["settings"] if self._app else load_settings()
        return self._settings

    @property
    def app(self) -> Flask:
        if self._app is None:
            if self._factory is None:
                raise click.UsageError("this command needs the app, and no factory was given")
            self._app = self._factory(self.settings)
        return self._app

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.app.extensions["db"].transaction() as session:
            yield session

    def close(self) -> None:
        if self._app is not None and self._factory is not None:
            self._app.extensions["db"].dispose()  # only an app this context built


pass_ctx = click.make_pass_decorator(Context)


class DealerId(click.ParamType):
    """``--dealer acct_…``: an existing dealer, or a usage error (exit code 2) before the
    command does anything."""

    name = "dealer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        dealer_id = str(value)
        context = ctx.find_object(Context) if ctx is not None else None
        if context is None:
            return dealer_id
        with context.app.extensions["db"].transaction(write=False) as session:
            exists = session.get(Dealer, dealer_id) is not None
        if not exists:
            self.fail(
                f"no dealer {dealer_id} in this hub ('dealerhub dealers list' shows them).",
                param,
                ctx,
            )
        return dealer_id


DEALER = DealerId()
