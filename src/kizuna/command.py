"""The application object for one CLI command, closed when the command ends."""

from __future__ import annotations

import click

from kizuna.app import Kizuna
from kizuna.settings import Settings

__all__ = ["build_app"]


def build_app() -> Kizuna:
    """Build `Kizuna(Settings())`; its engine is disposed when the running command ends,
    so no connection outlives a command (and none leaks between CliRunner tests)."""
    kz = Kizuna(Settings())
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(kz.close)
    return kz
