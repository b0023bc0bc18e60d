"""`kizuna demo` (stub: the demo room replaces this)."""

from __future__ import annotations

import typer


def demo_command(no_serve: bool = typer.Option(False, "--no-serve")) -> None:
    """Build the demo workspace and start the server."""
    raise NotImplementedError
