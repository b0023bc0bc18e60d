"""`kizuna db upgrade|current`: the schema, by Alembic migrations only."""

from __future__ import annotations

import typer
from rich.console import Console

from kizuna.command import build_app
from kizuna.db.migrate import current_revision

__all__ = ["app"]

app = typer.Typer(help="Database schema (Alembic migrations). / データベース", no_args_is_help=True)
console = Console()


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database. / マイグレーションを適用します。"""
    with build_app() as kz:
        kz.upgrade_db()
        console.print(f"database at revision {current_revision(kz.engine)}")


@app.command("current")
def db_current() -> None:
    """Show the database's migration revision of each branch."""
    with build_app() as kz:
        console.print(current_revision(kz.engine) or "empty (run `kizuna db upgrade`)")
