"""`kizuna demo` end to end on a fresh SQLite file, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app
from kizuna.customers.models import Customer, Interaction
from kizuna.feedback.models import Feedback

SIZES = ["--customers", "60", "--interactions", "400", "--feedback", "120"]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("KIZUNA_DATABASE_URL", url)
    return url


def _counts(url: str) -> tuple[int, int, int]:
    kz = Kizuna(Settings(database_url=url))
    try:
        with kz.session() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(model))
                for model in (Customer, Interaction, Feedback)
            )
    finally:
        kz.close()


def test_demo_builds_prints_login_and_skips_when_present(database: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-serve", *SIZES])
    assert first.exit_code == 0, first.output
    assert "demo@kizuna.example" in first.output and "kizuna-demo" in first.output
    assert "kz_" in first.output and "http://127.0.0.1:8000/" in first.output
    assert _counts(database) == (60, 400, 122)

    again = runner.invoke(app, ["demo", "--no-serve", "--customers", "10"])
    assert again.exit_code == 0, again.output
    assert "already exists" in again.output and "--rebuild" in again.output
    assert "kz_" not in again.output
    assert _counts(database) == (60, 400, 122)

    rebuilt = runner.invoke(app, ["demo", "--no-serve", "--rebuild", "--seed", "3", *SIZES])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Built demo workspace" in rebuilt.output
    assert _counts(database) == (60, 400, 122)


def test_demo_starts_the_server_unless_told_not_to(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Kizuna] = []
    monkeypatch.setattr("kizuna.server.run_server", lambda kz, *a, **k: served.append(kz))
    result = CliRunner().invoke(app, ["demo", *SIZES])
    assert result.exit_code == 0, result.output
    assert len(served) == 1 and served[0].engine.url.render_as_string() == database
