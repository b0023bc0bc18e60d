"""`kizuna import` (stub: the ingest room replaces this)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import customers, interactions or feedback from a file.")
