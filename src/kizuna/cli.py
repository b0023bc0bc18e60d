"""The `kizuna` command: Typer + Rich over the same services the web uses.

Feature rooms own their sub-commands (`kizuna.ingest.cli`, `kizuna.reports.cli`, ...);
this module mounts them and turns every `KizunaError` into its message and next step,
never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kizuna.accounts import service as accounts
from kizuna.command import build_app
from kizuna.customers.cli import app as customers_app
from kizuna.db import current_revision
from kizuna.demo.cli import demo_command
from kizuna.errors import KizunaError
from kizuna.ingest.cli import app as import_app
from kizuna.jobs.cli import jobs_command, worker_command
from kizuna.reports.cli import export_command, metrics_app
from kizuna.settings import Settings
from kizuna.text.cli import app as text_app

__all__ = ["app", "build_app", "main"]

app = typer.Typer(
    name="kizuna",
    help="Kizuna (絆) — customer experience management. 顧客体験マネジメント。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(
    help="Database schema (Alembic migrations). / データベース", no_args_is_help=True
)
apikey_app = typer.Typer(help="API keys of a workspace. / APIキー", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(import_app, name="import")
app.add_typer(metrics_app, name="metrics")
app.add_typer(text_app, name="text")
app.add_typer(customers_app, name="customers")
app.command("demo")(demo_command)
app.command("worker")(worker_command)
app.command("jobs")(jobs_command)
app.command("export")(export_command)

console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database. / マイグレーションを適用します。"""
    with build_app() as kz:
        kz.upgrade_db()
        console.print(f"database at revision {current_revision(kz.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    with build_app() as kz:
        console.print(current_revision(kz.engine) or "empty (run `kizuna db upgrade`)")


@app.command("init")
def init(
    workspace: Annotated[str, typer.Option(help="Workspace slug (a-z, 0-9, -).")],
    admin_email: Annotated[str, typer.Option(help="E-mail of the workspace's owner.")],
    name: Annotated[str | None, typer.Option(help="Display name of the workspace.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Owner's password; asked for when interactive, else generated."),
    ] = None,
) -> None:
    """Create a workspace, its owner and an API key. / ワークスペースを作成します。"""
    if password is None and sys.stdin.isatty():
        password = typer.prompt("Password (empty: generate)", default="", hide_input=True) or None
    with build_app() as kz, kz.session() as session:
        kz.upgrade_db()
        made = accounts.init_workspace(
            session,
            workspace,
            admin_email,
            password=password,
            name=name,
            timezone=kz.settings.timezone,
        )
    console.print(f"workspace [bold]{made.workspace.slug}[/] created; owner {made.admin.email}")
    if password is None:
        console.print(f"password (shown once): [bold]{made.password}[/]")
    console.print(f"API key (shown once): [bold]{made.api_key}[/]")


@app.command("workspaces")
def workspaces() -> None:
    """List workspaces."""
    from sqlalchemy import select

    from kizuna.accounts.models import Workspace

    table = Table("slug", "name", "time zone")
    with build_app() as kz, kz.session() as session:
        for ws in session.scalars(select(Workspace).order_by(Workspace.slug)):
            table.add_row(ws.slug, ws.name, ws.timezone)
    console.print(table)


@apikey_app.command("create")
def apikey_create(
    workspace: Annotated[str, typer.Option(help="Workspace slug.")],
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli",
) -> None:
    """Create an API key for a workspace; it is shown once."""
    with build_app() as kz, kz.session() as session:
        key = accounts.create_api_key(session, kz.workspace(session, workspace), name=name)
    console.print(key)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Start the web server. / Webサーバーを起動します。"""
    from kizuna.server import run_server

    with build_app() as kz:
        run_server(kz, host, port)


@app.command("settings")
def settings_table(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the README's table.")] = False,
) -> None:
    """Show every setting, its environment variable and default."""
    from kizuna.settings_doc import settings_markdown

    if markdown:
        typer.echo(settings_markdown())
        return
    table = Table("variable", "default", "description")
    for name, field in Settings.model_fields.items():
        table.add_row(f"KIZUNA_{name.upper()}", repr(field.default), field.description or "")
    console.print(table)


def main() -> None:
    """Entry point: run the CLI, printing Kizuna's errors as messages with a next step."""
    try:
        app()
    except KizunaError as exc:
        language = Settings().language
        Console(stderr=True).print(f"[red]error:[/] {exc.message(language)}")
        raise SystemExit(2) from None
