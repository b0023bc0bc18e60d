"""`kizuna metrics` and `kizuna export` (stub: the reports room replaces this)."""

from __future__ import annotations

import typer

metrics_app = typer.Typer(help="NPS, CSAT, CES and eNPS with intervals.")


def export_command() -> None:
    """Export a workspace to Parquet."""
    raise NotImplementedError
