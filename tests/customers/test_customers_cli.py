"""`kizuna customers ...` through the real CLI on the test database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app
from kizuna.customers.merges import canonical_customer_ids
from kizuna.customers.models import Customer
from kizuna.errors import InvalidInput


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> CliRunner:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    return CliRunner()


def test_resolve_unmerge_and_lifecycle_commands(cli: CliRunner, kz: Kizuna, ws) -> None:
    with kz.session() as session:
        a = Customer(
            workspace_id=ws.workspace.id, source="crm", external_id="1", phone="090-9999-8888"
        )
        b = Customer(
            workspace_id=ws.workspace.id, source="shop", external_id="2", phone="+81 90 9999 8888"
        )
        session.add_all([a, b])
        session.flush()
        ids = [a.id, b.id]

    result = cli.invoke(app, ["customers", "resolve", "--workspace", ws.slug])
    assert result.exit_code == 0, result.output
    assert "1 merges (1 records)" in result.output and "phone" in result.output

    result = cli.invoke(app, ["customers", "group", "--workspace", ws.slug, str(ids[1])])
    assert result.exit_code == 0, result.output
    assert "+819099998888" in result.output

    result = cli.invoke(app, ["customers", "unmerge", "--workspace", ws.slug, str(ids[1])])
    assert result.exit_code == 0, result.output
    with kz.session() as session:
        assert canonical_customer_ids(session, ws.workspace, ids) == {
            ids[0]: ids[0],
            ids[1]: ids[1],
        }

    result = cli.invoke(
        app, ["customers", "lifecycle", "--workspace", ws.slug, "--as-of", "2025-01-31"]
    )
    assert result.exit_code == 0, result.output
    assert "prospect" in result.output and "2025-01-31" in result.output


def test_unmerging_an_unmerged_customer_is_a_message(cli: CliRunner, kz: Kizuna, ws) -> None:
    with kz.session() as session:
        c = Customer(workspace_id=ws.workspace.id, source="crm", external_id="1")
        session.add(c)
        session.flush()
    result = cli.invoke(app, ["customers", "unmerge", "--workspace", ws.slug, str(c.id)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInput)
