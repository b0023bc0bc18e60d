"""`kizuna mail test|outbox|retry` as an administrator runs them, against a loopback server."""

from __future__ import annotations

import pytest
from mail_support import SmtpServer, free_port, load, mail_app, run_mail_jobs
from typer.testing import CliRunner

from kizuna import Kizuna
from kizuna.cli import app as kizuna_app
from kizuna.cli import main
from kizuna.mail.service import send_mail

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", database_url)
    monkeypatch.setenv("KIZUNA_LANGUAGE", "en")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("KIZUNA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KIZUNA_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("KIZUNA_SMTP_SECURITY", "none")
    monkeypatch.setenv("KIZUNA_MAIL_FROM", "Kizuna <cx@kizuna.example>")


def mail(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(kizuna_app, ["mail", *args])


def mail_as_typed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """Run `kizuna mail ...` through the real entry point: exit code and what stderr shows."""
    monkeypatch.setattr("sys.argv", ["kizuna", "mail", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1, capsys.readouterr().err


def test_mail_test_sends_through_the_configured_server(smtp_server: SmtpServer, cli_env) -> None:  # type: ignore[no-untyped-def]
    result = mail("test", "hanako@example.jp")
    assert result.exit_code == 0, result.output
    assert f"through 127.0.0.1:{smtp_server.port} (none)" in result.output
    [email] = smtp_server.inbox.received
    assert email["Subject"] == "Kizuna test e-mail"
    assert email["Message-ID"] in result.output
    assert email["To"] == "hanako@example.jp"
    assert "sent" in result.output and "the server accepted it" in result.output

    result = mail("test", "hanako@example.jp", "--language", "ja")
    assert result.exit_code == 0, result.output
    assert smtp_server.inbox.received[1]["Subject"] == "Kizuna テストメール（日本語）"


def test_mail_test_says_what_to_check_when_nothing_listens(
    cli_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    monkeypatch.setenv("KIZUNA_SMTP_PORT", str(port))
    code, shown = mail_as_typed(capsys, monkeypatch, "test", "hanako@example.jp")
    assert code == 2
    assert shown.strip() == (
        f"error: Nothing accepted a connection at 127.0.0.1:{port}. Check KIZUNA_SMTP_HOST and "
        "KIZUNA_SMTP_PORT, and that the mail server is running."
    )
    assert "Traceback" not in shown
    monkeypatch.setenv("KIZUNA_LANGUAGE", "ja")
    code, shown = mail_as_typed(capsys, monkeypatch, "test", "hanako@example.jp")
    assert code == 2 and "接続できませんでした" in shown and "KIZUNA_SMTP_PORT" in shown


def test_mail_test_without_a_server_says_how_to_set_one(
    cli_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KIZUNA_SMTP_HOST", "")
    code, shown = mail_as_typed(capsys, monkeypatch, "test", "hanako@example.jp")
    assert code == 2
    assert "No SMTP server is set" in shown and "Set KIZUNA_SMTP_HOST" in shown


def test_a_successful_test_releases_held_mail(
    kz: Kizuna, smtp_server: SmtpServer, cli_env, ws
) -> None:  # type: ignore[no-untyped-def]
    unconfigured = mail_app(kz, smtp_server.port, smtp_host="")
    with unconfigured.session() as session:
        held = send_mail(
            session,
            unconfigured.settings,
            workspace_id=ws.workspace.id,
            key="invite:1",
            to="taro@example.jp",
            template="notice",
            context={"subject": "招待", "paragraphs": ["ようこそ"]},
        )
    run_mail_jobs(unconfigured)
    assert load(kz, held.id).state == "held"
    result = mail("test", "admin@example.jp")
    assert result.exit_code == 0, result.output
    assert "1 held e-mail(s) are queued for delivery now." in result.output
    run_mail_jobs(mail_app(kz, smtp_server.port))
    assert load(kz, held.id).state == "sent"
    assert [m["To"] for m in smtp_server.inbox.received] == ["admin@example.jp", "taro@example.jp"]


def test_outbox_shows_the_dead_letters_and_retry_sends_them_again(
    mail_kz: Kizuna,
    smtp_server: SmtpServer,
    cli_env,
    ws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.inbox.refuse_recipients = "550 5.1.1 Mailbox unavailable"
    with mail_kz.session() as session:
        message = send_mail(
            session,
            mail_kz.settings,
            workspace_id=ws.workspace.id,
            key="report:weekly",
            to="jiro@example.jp",
            template="notice",
            language="en",
            context={"subject": "Weekly report", "paragraphs": ["NPS rose to 42."]},
        )
    run_mail_jobs(mail_kz)

    result = mail("outbox", "--workspace", ws.slug, "--state", "dead")
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if f" {message.id} " in line]
    assert "dead" in row and "jiro@example.jp" in row and "Weekly report" in row
    assert "550 5.1.1 Mailbox unavailable" in result.output
    assert "dead 1" in result.output and "sent 0" in result.output
    assert "NPS rose" not in result.output, "bodies are never shown"

    result = mail("retry", str(message.id))
    assert result.exit_code == 0, result.output
    assert f"e-mail #{message.id} is queued again (round 2" in result.output
    smtp_server.inbox.refuse_recipients = None
    run_mail_jobs(mail_kz)
    assert load(mail_kz, message.id).state == "sent"

    code, shown = mail_as_typed(capsys, monkeypatch, "retry", str(message.id))
    assert code == 2
    assert f"error: E-mail #{message.id} is sent; only dead or held e-mail" in shown
