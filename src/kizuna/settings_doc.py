"""The README's settings table, generated from `Settings` (a test keeps them equal)."""

from __future__ import annotations

from kizuna.settings import Settings

__all__ = ["settings_markdown"]


def settings_markdown() -> str:
    lines = ["| variable | default | description |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else str(field.default)
        lines.append(f"| `KIZUNA_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(lines)
