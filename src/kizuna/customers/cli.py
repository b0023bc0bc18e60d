"""`kizuna customers` (stub: the customers room replaces this)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Customers: identity resolution, lifecycle.")
