"""What the `kizuna surveys` commands share: the console they print on and their workspace
option and survey argument. The commands live in `kizuna.surveys.cli` and its `*_cli` rooms.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

__all__ = ["SurveyArgument", "WorkspaceOption", "console"]

console = Console()

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
SurveyArgument = Annotated[int, typer.Argument(help="Survey id (see `kizuna surveys list`).")]
