"""The CLI's own commands: init, db upgrade, errors shown as messages with a next step."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kizuna import Settings
from kizuna.cli import app, main


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, kz: object) -> CliRunner:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    return CliRunner()


def test_init_creates_workspace_with_generated_password_and_key(cli_env: CliRunner) -> None:
    result = cli_env.invoke(
        app, ["init", "--workspace", "cli-init-ws", "--admin-email", "a@example.com"]
    )
    assert result.exit_code == 0, result.output
    assert "password (shown once)" in result.output
    assert "kz_" in result.output
    listing = cli_env.invoke(app, ["workspaces"])
    assert "cli-init-ws" in listing.output


def test_unknown_workspace_prints_japanese_message_not_traceback(
    cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["kizuna", "apikey", "create", "--workspace", "no-such-ws"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "ワークスペース「no-such-ws」は存在しません" in err
    assert "Traceback" not in err


def test_db_upgrade_reports_revision(cli_env: CliRunner) -> None:
    result = cli_env.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
