"""`kizuna mail`: send a test e-mail, see the outbox, retry a message.

Errors are raised as `kizuna.errors` classes for the CLI root to print with their next step;
what this module prints is in the configured language (KIZUNA_LANGUAGE), times in
KIZUNA_TIMEZONE. The outbox shows
recipients, since finding out who did not get their mail is what it is for; it never shows
bodies.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from kizuna.command import build_app
from kizuna.mail.errors import MailNotConfigured
from kizuna.mail.models import MAIL_STATES
from kizuna.mail.service import (
    list_outbox,
    outbox_counts,
    release_held,
    retry_message,
    send_test_mail,
)

__all__ = ["app"]

app = typer.Typer(
    help="E-mail: send a test, see the outbox, retry. / メール: テスト送信・送信箱・再送",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _console() -> Console:
    # Made per command, so the terminal's width is read when the command runs.
    return Console(highlight=False)


def _say(language: str, en: str, ja: str) -> None:
    _console().print(ja if language == "ja" else en, soft_wrap=True)


@app.command("test")
def test_command(
    address: Annotated[str, typer.Argument(help="Where to send the test e-mail.")],
    language: Annotated[
        str | None, typer.Option(help="ja or en (default: KIZUNA_LANGUAGE).")
    ] = None,
) -> None:
    """Send a test e-mail now through the configured SMTP server. / テストメールを送信します。"""
    with build_app() as kz:
        settings = kz.settings
        lang = settings.language
        if not settings.smtp_host:
            raise MailNotConfigured()
        _say(
            lang,
            f"sending a test e-mail to {address} through {settings.smtp_host}:{settings.smtp_port} "
            f"({settings.smtp_security}) ...",
            f"{settings.smtp_host}:{settings.smtp_port}({settings.smtp_security})経由で "
            f"{address} にテストメールを送信しています...",
        )
        message_id = send_test_mail(settings, address, language=language)
        _say(
            lang,
            f"[green]sent[/] {message_id}: the server accepted it. If it does not arrive, look in "
            "the spam folder and at the server's log for this Message-ID.",
            f"[green]送信しました[/] {message_id}: サーバーが受け付けました。届かない場合は"
            "迷惑メールフォルダと、サーバーのログでこの Message-ID を確認してください。",
        )
        with kz.session() as session:
            released = release_held(session, settings, workspace_id=None)
        if released:
            _say(
                lang,
                f"{released} held e-mail(s) are queued for delivery now.",
                f"保留中だったメール {released} 通を送信待ちに戻しました。",
            )


@app.command("outbox")
def outbox_command(
    workspace: Annotated[
        str | None, typer.Option(help="Only this workspace's mail (slug).")
    ] = None,
    state: Annotated[
        str | None, typer.Option(help=f"Only mail in this state: {', '.join(MAIL_STATES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
) -> None:
    """Show the outbox, newest first, and counts by state. / 送信箱を表示します。"""
    with build_app() as kz, kz.session() as session:
        workspace_id = kz.workspace(session, workspace).id if workspace else None
        entries = list_outbox(session, workspace_id=workspace_id, state=state, limit=limit)
        counts = outbox_counts(session, workspace_id=workspace_id)
    zone = ZoneInfo(kz.settings.timezone)
    table = Table("id", "state", "to", "subject", "tries", "created", "note")
    table.columns[2].overflow = "fold"  # an address is never cut short
    for entry in entries:
        message = entry.message
        note = message.skip_reason or message.last_error or ""
        if entry.next_attempt_at is not None:
            next_try = f"{entry.next_attempt_at.astimezone(zone):%m-%d %H:%M:%S}"
            note = f"next try {next_try}; {note}".rstrip("; ")
        table.add_row(
            str(message.id),
            message.state,
            message.to_address,
            message.subject[:30],
            str(message.attempts),
            f"{message.created_at.astimezone(zone):%Y-%m-%d %H:%M}",
            note[:80],
        )
    console = _console()
    console.print(table)
    console.print("  ".join(f"{name} {count}" for name, count in counts.items()))


@app.command("retry")
def retry_command(
    message_id: Annotated[int, typer.Argument(metavar="ID", help="The message's id (see outbox).")],
) -> None:
    """Queue a dead or held e-mail for delivery again. / メールを再送します。"""
    with build_app() as kz:
        with kz.session() as session:
            message = retry_message(session, kz.settings, message_id, workspace_id=None)
            round_ = message.round
        _say(
            kz.settings.language,
            f"e-mail #{message_id} is queued again (round {round_}, up to "
            f"{kz.settings.mail_max_attempts} attempts); a running worker sends it.",
            f"メール #{message_id} を再送待ちにしました({round_} 回目、最大 "
            f"{kz.settings.mail_max_attempts} 回試行)。ワーカーが送信します。",
        )
