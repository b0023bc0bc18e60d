"""`kizuna surveys rules|close-partials`: the contact rules shared by every survey and channel,
and partial answers past their time-out.

Thin commands over the services; `kizuna.surveys.cli` registers them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer
from rich.table import Table

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.surveys import service
from kizuna.surveys.cli_options import WorkspaceOption, console
from kizuna.surveys.voices import close_stale_partials

__all__ = ["app"]

# Registered on `kizuna.surveys.cli.app` (in the order `kizuna surveys --help` lists them).
app = typer.Typer()


_QUIET = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


@app.command("rules")
def rules_command(
    workspace: WorkspaceOption,
    frequency_days: Annotated[
        int | None, typer.Option(help="Ask a customer at most once per N days.")
    ] = None,
    quiet: Annotated[str | None, typer.Option(help="Quiet hours, e.g. 21:00-09:00.")] = None,
    consent: Annotated[
        bool | None,
        typer.Option("--consent/--no-consent", help="Only customers who agreed to e-mail."),
    ] = None,
    link_days: Annotated[int | None, typer.Option(help="Days a personal link works.")] = None,
    partial_minutes: Annotated[
        int | None, typer.Option(help="Minutes before a partial answer becomes a voice.")
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Answers per minute from one address (0: no limit).")
    ] = None,
    origin: Annotated[
        list[str] | None, typer.Option(help="A site allowed to show the widget (repeat).")
    ] = None,
) -> None:
    """Show or change the contact rules shared by every survey and channel. / 連絡ルール"""
    values: dict[str, Any] = {
        "frequency_days": frequency_days,
        "require_consent": consent,
        "link_days": link_days,
        "partial_timeout_minutes": partial_minutes,
        "rate_limit_per_minute": rate_limit,
        "allowed_origins": origin,
    }
    if quiet is not None:
        match = _QUIET.match(quiet.strip())
        if not match:
            raise InvalidInput(
                "Write quiet hours as HH:MM-HH:MM, e.g. 21:00-09:00.",
                "静かな時間帯は 21:00-09:00 のように書いてください。",
            )
        values["quiet_start"], values["quiet_end"] = match.groups()
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        if any(v is not None for v in values.values()):
            policy = service.update_policy(session, ws, actor=cli_actor(), **values)
        else:
            policy = service.get_policy(session, ws)
        shown = {
            "frequency_days": policy.frequency_days,
            "quiet_hours": f"{policy.quiet_start}-{policy.quiet_end} ({ws.timezone})",
            "require_consent": policy.require_consent,
            "link_days": policy.link_days,
            "partial_timeout_minutes": policy.partial_timeout_minutes,
            "rate_limit_per_minute": policy.rate_limit_per_minute,
            "allowed_origins": " ".join(policy.allowed_origins or []) or "(none)",
        }
    table = Table("rule", "value")
    for name, value in shown.items():
        table.add_row(name, str(value))
    console.print(table)


@app.command("close-partials")
def close_partials_command(workspace: WorkspaceOption) -> None:
    """Turn partial answers past the time-out into voices now. / 途中回答を声に"""
    with build_app() as kz, kz.session() as session:
        made = close_stale_partials(session, kz.workspace(session, workspace))
    console.print(f"{made} partial answers recorded as voices")
