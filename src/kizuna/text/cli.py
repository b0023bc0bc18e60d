"""`kizuna text` (stub: the text room replaces this)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Text analytics: analyze, train, reanalyze.")
