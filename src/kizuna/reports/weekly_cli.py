"""`kizuna reports weekly ...`: who gets the weekly summary e-mail, and sending it now.

    kizuna reports weekly subscribe -w demo manager@example.jp --language ja
    kizuna reports weekly list -w demo
    kizuna reports weekly unsubscribe -w demo manager@example.jp
    kizuna reports weekly send -w demo            # last week's summary, into the outbox now

The schedule `reports.weekly` sends it every Monday at 08:00 in the workspace's time zone;
`send` is for a first look. Either way each address gets one message a week.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app

__all__ = ["app"]

app = typer.Typer(help="Reports by e-mail. / レポートのメール配信", no_args_is_help=True)
weekly = typer.Typer(
    help="The weekly summary e-mail: NPS, CSAT, CES, volume and notable voices. / 週次サマリー",
    no_args_is_help=True,
)
app.add_typer(weekly, name="weekly")

Workspace = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@weekly.command("subscribe")
def subscribe_command(
    workspace: Workspace,
    email: Annotated[str, typer.Argument(help="The address to send it to.")],
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """Send the weekly summary to an address. / 週次サマリーの宛先を追加"""
    from kizuna.reports.weekly import subscribe

    with build_app() as kz, kz.session() as session:
        found = kz.workspace(session, workspace)
        stored = subscribe(session, found, email, language=language, actor=cli_actor())
        Console().print(f"{stored.email} ({stored.language}): weekly summary of {found.slug}")


@weekly.command("unsubscribe")
def unsubscribe_command(
    workspace: Workspace, email: Annotated[str, typer.Argument(help="The address.")]
) -> None:
    """Stop sending the weekly summary to an address. / 週次サマリーの宛先を削除"""
    from kizuna.reports.weekly import unsubscribe

    with build_app() as kz, kz.session() as session:
        unsubscribe(session, kz.workspace(session, workspace), email, actor=cli_actor())
        Console().print(f"{email}: removed")


@weekly.command("list")
def list_command(workspace: Workspace) -> None:
    """Who gets the weekly summary. / 週次サマリーの宛先一覧"""
    from kizuna.reports.weekly import list_subscriptions

    console = Console()
    with build_app() as kz, kz.session() as session:
        found = list_subscriptions(session, kz.workspace(session, workspace))
        if not found:
            console.print("nobody yet: kizuna reports weekly subscribe -w SLUG ADDRESS")
        for item in found:
            console.print(f"{item.email}\t{item.language}")


@weekly.command("send")
def send_command(workspace: Workspace) -> None:
    """Put last week's summary in the outbox for every address now. / 今すぐ送信"""
    from kizuna.db.base import utcnow
    from kizuna.reports.weekly import send_weekly_reports, week_of

    with build_app() as kz:
        with kz.session() as session:
            found = kz.workspace(session, workspace)
        queued = send_weekly_reports(kz, found)
        start = week_of(utcnow(), found.timezone)
    Console().print(f"week of {start}: {queued} message(s) in the outbox")
