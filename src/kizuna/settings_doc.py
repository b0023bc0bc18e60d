"""The README's settings table, generated from `Settings` (a test keeps them equal)."""

from __future__ import annotations

from typing import Annotated

from typer import Option

from kizuna.settings import GROUPS, Settings, fields_of

__all__ = ["settings_command", "settings_markdown"]

_GROUP_TITLES = {
    "general": "General",
    "database": "Database",
    "engines": "Engines",
    "web": "Web",
    "security": "Security",
    "imports": "Imports",
    "jobs": "Jobs",
    "mail": "Mail",
}


def settings_markdown() -> str:
    """One table per group: variable, default and description."""
    parts: list[str] = []
    for group in GROUPS:
        lines = [f"**{_GROUP_TITLES[group]}**", "", "| variable | default | description |"]
        lines.append("|---|---|---|")
        for name in fields_of(group):
            field = Settings.model_fields[name]
            default = "" if field.default is None else str(field.default)
            lines.append(f"| `KIZUNA_{name.upper()}` | `{default}` | {field.description} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def settings_command(
    markdown: Annotated[bool, Option("--markdown", help="Print the README's tables.")] = False,
) -> None:
    """Show every setting, its environment variable and default. / 設定の一覧"""
    import typer
    from rich.console import Console
    from rich.table import Table

    if markdown:
        typer.echo(settings_markdown())
        return
    table = Table("group", "variable", "default", "description")
    for group in GROUPS:
        for name in fields_of(group):
            field = Settings.model_fields[name]
            table.add_row(
                group, f"KIZUNA_{name.upper()}", repr(field.default), field.description or ""
            )
    Console().print(table)
