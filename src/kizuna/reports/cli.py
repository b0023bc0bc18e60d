"""`kizuna metrics nps|csat|ces|enps` and `kizuna export`: the report service on the terminal.

Errors are KizunaError, printed by `kizuna.cli.main` as a message with a next step.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kizuna.analytics.metrics import METRICS, Metric
from kizuna.cells import safe_cell
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.reports.export import export_workspace
from kizuna.reports.service import MetricReport, compute_metric

__all__ = ["export_command", "metrics_app"]

metrics_app = typer.Typer(
    help="NPS, CSAT, CES and eNPS with 95% intervals. / NPS・CSAT・CES・eNPS（95%信頼区間つき）",
    no_args_is_help=True,
)
FORMATS = ("table", "json", "csv")
TITLES = {
    "nps": "NPS (-100..100)",
    "csat": "CSAT (% of 4-5)",
    "ces": "CES (mean 1-7)",
    "enps": "eNPS (-100..100)",
}


def _parse_date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} '{text}' is not a date; write it as YYYY-MM-DD.",
            f"{option}「{text}」は日付ではありません。YYYY-MM-DD の形で指定してください。",
        ) from None


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:+.1f}" if value < 0 else f"{value:.1f}"
    return str(value)


def _print_report(report: MetricReport, output: str) -> None:
    records = report.to_records()
    if output == "json":
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=report.columns, lineterminator="\n")
        writer.writeheader()
        # Dimension values come from customers' data: never let a spreadsheet run them.
        writer.writerows({k: safe_cell(v) for k, v in record.items()} for record in records)
        return
    table = Table(*report.columns, title=TITLES[report.metric])
    for record in records:
        table.add_row(*(_cell(record[name]) for name in report.columns))
    Console().print(table)


def _run_metric(
    metric: Metric,
    workspace: str,
    by: list[str] | None,
    period: str | None,
    start: str | None,
    end: str | None,
    output: str,
    engine: str,
    parquet: Path | None,
) -> None:
    if output not in FORMATS:
        raise InvalidInput(
            f"Unknown format '{output}'. Choose one of: {', '.join(FORMATS)}.",
            f"出力形式「{output}」は使えません。次から選んでください: {', '.join(FORMATS)}",
        )
    first, last = _parse_date(start, "--from"), _parse_date(end, "--to")
    with build_app() as kz:
        with kz.session() as session:
            found = kz.workspace(session, workspace)
        report = compute_metric(
            kz,
            found,
            metric,
            by=by or (),
            period=period,  # type: ignore[arg-type]  # checked by compute_metric
            start=first,
            end=last,
            engine=engine,  # type: ignore[arg-type]  # checked by compute_metric
            parquet_dir=parquet,
        )
    _print_report(report, output)


def _register(metric: Metric) -> None:
    def command(
        workspace: Annotated[str, typer.Option(help="Workspace slug.")],
        by: Annotated[
            list[str] | None,
            typer.Option(help="Group by a dimension (repeatable): channel, age_band, ..."),
        ] = None,
        period: Annotated[str | None, typer.Option(help="day, week or month.")] = None,
        start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
        output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
        engine: Annotated[
            str,
            typer.Option(
                help="operational, parquet (DuckDB; also: duckdb) or spark "
                "(pip install 'kizuna[spark]'; KIZUNA_SPARK_MASTER, default local[*])."
            ),
        ] = "operational",
        parquet: Annotated[
            Path | None,
            typer.Option(help="Folder of a `kizuna export` (parquet and spark engines)."),
        ] = None,
    ) -> None:
        _run_metric(metric, workspace, by, period, start, end, output, engine, parquet)

    command.__doc__ = f"{TITLES[metric]} with a 95% interval, by period and dimensions."
    metrics_app.command(metric)(command)


for _metric in METRICS:
    _register(_metric)


def export_command(
    workspace: Annotated[str, typer.Option(help="Workspace slug.")],
    to: Annotated[Path, typer.Option("--to", help="Folder to write the Parquet files into.")],
    include_personal: Annotated[
        bool,
        typer.Option(help="Also export customers' name, e-mail, phone, LINE id and birthday."),
    ] = False,
) -> None:
    """Export a workspace to Parquet (feedback, interactions, customers). / Parquet に書き出し"""
    console = Console()
    with build_app() as kz:
        with kz.session() as session:
            found = kz.workspace(session, workspace)
        with console.status("exporting...") as status:
            result = export_workspace(
                kz,
                found,
                to,
                include_personal=include_personal,
                on_progress=lambda name, rows: status.update(f"{name}: {rows:,} rows"),
            )
    for name, rows in result.rows.items():
        console.print(f"{name}: {rows:,} rows")
    console.print(f"manifest: {result.manifest}")
