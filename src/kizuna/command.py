"""The application object for one CLI command.

Commands use it as `with build_app() as kz:` so the engine is disposed when the command
ends: no connection outlives a command, and none leaks between tests that run commands.
"""

from __future__ import annotations

from kizuna.app import Kizuna
from kizuna.settings import Settings

__all__ = ["build_app"]


def build_app() -> Kizuna:
    """`Kizuna(Settings())`, read from the environment when the command runs."""
    return Kizuna(Settings())
