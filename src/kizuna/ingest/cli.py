"""`kizuna import customers|interactions|feedback FILE --workspace SLUG`.

A thin shell over `kizuna.ingest.service.import_file`: a Rich progress bar while the file
streams, one summary line at the end, and the rejected rows written out on request. Run
again after the import was killed, the same command resumes it (and says so, above the
summary); `--restart` reads the file whole instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import KizunaError
from kizuna.ingest.readers import open_table
from kizuna.ingest.service import import_file, write_rejections_csv
from kizuna.ingest.vocabulary import Target

__all__ = ["app"]

app = typer.Typer(
    help="Import customers, interactions or feedback from a file. / ファイルから取り込みます。",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path, typer.Argument(help="CSV, TSV, JSONL, Parquet or .xlsx file.", show_default=False)
]
WorkspaceOpt = Annotated[str, typer.Option("--workspace", help="Workspace slug.")]
MappingOpt = Annotated[
    Path | None,
    typer.Option("--mapping", help="YAML file: field -> column header (overrides guesses)."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="utf-8, utf-8-sig or cp932 (Shift_JIS); detected if absent."),
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write rejected rows to this CSV file.")
]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="Where the rows come from (feedback: survey, review, ...)."),
]
RestartOpt = Annotated[
    bool,
    typer.Option(
        "--restart",
        help="Read the file whole even if an interrupted import of it could be resumed. "
        "/ 中断された取り込みを再開せず、最初から読み込みます。",
    ),
]


def _measure(path: Path, encoding: str | None) -> tuple[int, str]:
    try:
        with open_table(path, encoding) as table:
            return table.total, table.unit
    except KizunaError:
        return 0, "rows"  # import_file raises the same error with its message


# The reader and the writer thread hand the GIL to each other a few times per batch; a
# 0.5 ms switch interval instead of 5 ms gives about 10% more rows per second. It is
# process-wide state, so only this command (a process of its own) changes it, and puts it back.
_IMPORT_SWITCH_INTERVAL = 0.0005


@contextmanager
def quick_switches() -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, _IMPORT_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(saved)


def _import(
    target: Target,
    file: Path,
    workspace: str,
    mapping: Path | None,
    encoding: str | None,
    report: Path | None,
    source: str | None,
    restart: bool = False,
) -> None:
    err = Console(stderr=True)
    with build_app() as kz:
        language = kz.settings.language
        try:
            total, unit = _measure(file, encoding)
            columns = [TextColumn(f"{target} ← {file.name}"), BarColumn()]
            columns.append(DownloadColumn() if unit == "bytes" else MofNCompleteColumn())
            columns.append(TimeRemainingColumn())
            with Progress(*columns, console=err, transient=True) as bar, quick_switches():
                task = bar.add_task("import", total=total or None)
                summary = import_file(
                    kz,
                    workspace,
                    target,
                    file,
                    mapping_path=mapping,
                    encoding=encoding,
                    source=source,
                    language=language,
                    progress=lambda n: bar.advance(task, n),
                    actor=cli_actor(),
                    restart=restart,
                )
            if summary.resumed is not None:
                typer.echo(summary.resumed.note(language))
            typer.echo(summary.line())
            if report is not None:
                count = write_rejections_csv(kz, summary.run_id, report)
                err.print(f"{count} rejected rows written to {report}")
        except KizunaError as exc:
            err.print(f"[red]error:[/] {exc.message(language)}", soft_wrap=True)
            raise typer.Exit(2) from None


@app.command("customers")
def import_customers(
    file: FileArg,
    workspace: WorkspaceOpt,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    report: ReportOpt = None,
    source: SourceOpt = None,
    restart: RestartOpt = False,
) -> None:
    """Import customers (顧客) keyed by their external id."""
    _import("customers", file, workspace, mapping, encoding, report, source, restart)


@app.command("interactions")
def import_interactions(
    file: FileArg,
    workspace: WorkspaceOpt,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    report: ReportOpt = None,
    source: SourceOpt = None,
    restart: RestartOpt = False,
) -> None:
    """Import interactions (接点履歴): visits, purchases, tickets, ..."""
    _import("interactions", file, workspace, mapping, encoding, report, source, restart)


@app.command("feedback")
def import_feedback(
    file: FileArg,
    workspace: WorkspaceOpt,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    report: ReportOpt = None,
    source: SourceOpt = None,
    restart: RestartOpt = False,
) -> None:
    """Import feedback (顧客の声): comments and NPS / CSAT / CES / rating scores."""
    _import("feedback", file, workspace, mapping, encoding, report, source, restart)


@app.command("runs")
def list_import_runs(
    workspace: WorkspaceOpt,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 20,
) -> None:
    """Recent imports with their counts; a run whose process died shows as interrupted."""
    from rich.table import Table

    from kizuna.ingest.runs import list_runs

    table = Table("run", "target")
    table.add_column("origin", overflow="fold")
    table.add_column("status", no_wrap=True)
    for name in ("read", "inserted", "updated", "rejected"):
        table.add_column(name, justify="right")
    with build_app() as kz, kz.session() as session:
        for run in list_runs(session, kz.workspace(session, workspace), limit):
            table.add_row(
                str(run.id),
                run.target,
                run.origin,
                run.status,
                f"{run.read:,}",
                f"{run.inserted:,}",
                f"{run.updated:,}",
                f"{run.rejected:,}",
            )
    Console().print(table)
