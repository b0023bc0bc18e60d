"""The `kizuna` command: a Typer root that mounts every feature's commands, lazily.

The core's commands (`db`, `serve`, `settings`) and each feature's (`Feature.commands` in
the registry) are named here by "module:attribute" and imported only when that command
runs, so `kizuna --help` lists everything without loading SQLAlchemy, the web app or the
text engine. Every `KizunaError` is printed as its message and next step, never a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from kizuna.registry import Command, load_object

__all__ = ["CORE_COMMANDS", "app", "main"]

CORE_COMMANDS = (
    Command("db", "kizuna.db.cli:app", "Database schema (Alembic migrations)."),
    Command("serve", "kizuna.web.cli:serve_command", "Start the web server."),
    Command("settings", "kizuna.settings_doc:settings_command", "Show every setting."),
)


def _lazy_commands() -> dict[str, Command]:
    from kizuna.features import commands

    found = {c.name: c for c in CORE_COMMANDS}
    for command in commands():
        if command.name in found:
            raise ValueError(f"two features declare the command {command.name!r}")
        found[command.name] = command
    return found


def _load(command: Command) -> click.Command:
    """The click command of a Typer app or of one Typer-decorated function."""
    target = load_object(command.target)
    if isinstance(target, typer.Typer):
        loaded = typer.main.get_command(target)
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(command.name, help=None)(target)
        loaded = typer.main.get_command(single)
    loaded.name = command.name
    return loaded


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are imported when run, not when listed."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy = _lazy_commands()
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = self._lazy.get(cmd_name)
        if spec is None:
            return None
        if self._listing:  # --help: the declared one-line help, no import
            return TyperCommand(name=cmd_name, help=spec.help, short_help=spec.help)
        loaded = _load(spec)
        self.commands[cmd_name] = loaded
        return loaded

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="kizuna",
    cls=LazyGroup,
    help="Kizuna (絆) — customer experience management. 顧客体験マネジメント。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Kizuna (絆) — customer experience management. 顧客体験マネジメント。"""


def main() -> None:
    """Entry point: run the CLI, printing Kizuna's errors as messages with a next step."""
    import os

    from kizuna.errors import KizunaError

    try:
        app()
    except KizunaError as exc:
        from rich.console import Console

        # The environment, not Settings(): a bad setting may be the very error shown.
        language = "en" if os.environ.get("KIZUNA_LANGUAGE") == "en" else "ja"
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {exc.message(language)}")
        raise SystemExit(2) from None
