"""`kizuna dashboard rebuild|refresh`: the dashboard's daily rollups on the terminal.

    kizuna dashboard rebuild -w demo     # count every day again (after a bulk load or upgrade)
    kizuna dashboard refresh -w demo     # count only what changed since the last time

The rollups follow the voices by themselves (the `voice.recorded` and `voice.analyzed`
subscribers, and each dashboard view); `rebuild` is for data written around those paths,
such as rows deleted straight from the database.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from kizuna.accounts.audit import cli_actor, record_audit
from kizuna.command import build_app
from kizuna.reports.rollups import rebuild_rollups, refresh_rollups

__all__ = ["app"]

app = typer.Typer(
    help="The dashboard's daily rollups. / ダッシュボードの日次集計", no_args_is_help=True
)

Workspace = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("rebuild")
def rebuild_command(workspace: Workspace) -> None:
    """Count every day of the workspace again. / 全期間を集計し直す"""
    started = time.perf_counter()
    with build_app() as kz, kz.session() as session:
        found = kz.workspace(session, workspace)
        days = rebuild_rollups(session, found.id)
        record_audit(session, found, actor=cli_actor(), action="dashboard.rebuild", days=days)
    seconds = time.perf_counter() - started
    Console().print(f"{days:,} days counted in {seconds:.1f} s / {days:,} 日分を集計しました")


@app.command("refresh")
def refresh_command(workspace: Workspace) -> None:
    """Count the days whose voices changed since the last time. / 変更のあった日だけ集計"""
    with build_app() as kz, kz.session() as session:
        found = kz.workspace(session, workspace)
        days = refresh_rollups(session, found.id)
    Console().print(f"{days:,} days counted / {days:,} 日分を集計しました")
