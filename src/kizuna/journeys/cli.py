"""`kizuna journeys`: discover any event log, the workspace's stages and rules, compute and
show the journey analytics, export the journey map.

`discover FILE` needs no database: it reads a CSV or Parquet event log and prints the
directly-follows graph, the variants and the case durations (`kizuna.analytics.journeys`).
Errors are KizunaError, printed by `kizuna.cli.main` with the next step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kizuna.errors import InvalidInput, UnsupportedFile

__all__ = ["app", "read_event_log"]

app = typer.Typer(
    help="Journeys: event logs, stages, rules, analytics, the map. / カスタマージャーニー",
    no_args_is_help=True,
)
console = Console()
WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
ScopeOption = Annotated[str, typer.Option(help="all, segment:<id> or persona:<id>.")]
PeriodOption = Annotated[str, typer.Option(help="90d, 365d or all.")]
GUESSES = {
    "case": ("case", "case_id", "case:concept:name", "caseid", "customer", "customer_id"),
    "activity": ("activity", "concept:name", "event", "activity_name", "touchpoint", "action"),
    "timestamp": ("timestamp", "time:timestamp", "time", "occurred_at", "datetime", "date"),
}


def read_event_log(path: Path) -> Any:
    """A CSV or Parquet file as a pandas frame (text columns Arrow-backed)."""
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str)
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"{path.name} could not be read ({exc}). Check that it is a CSV or Parquet file.",
            f"{path.name} を読めませんでした({exc})。CSV か Parquet のファイルか確認してください。",
        ) from None
    raise UnsupportedFile(
        f"{path.name}: give an event log as .csv, .tsv or .parquet.",
        f"{path.name}: イベントログは .csv・.tsv・.parquet のファイルで指定してください。",
    )


def _column(columns: list[str], given: str | None, role: str) -> str:
    if given:
        return given
    lowered = {c.lower(): c for c in columns}
    for guess in GUESSES[role]:
        if guess in lowered:
            return lowered[guess]
    raise InvalidInput(
        f"Which column is the {role}? Name it with --{role} (columns: {', '.join(columns[:20])}).",
        f"{role} の列がわかりません。--{role} で指定してください(列: {', '.join(columns[:20])})。",
    )


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@app.command("discover")
def discover_command(
    file: Annotated[Path, typer.Argument(help="Event log: .csv, .tsv or .parquet.", exists=True)],
    case: Annotated[str | None, typer.Option("--case", help="Case column.")] = None,
    activity: Annotated[str | None, typer.Option("--activity", help="Activity column.")] = None,
    timestamp: Annotated[str | None, typer.Option("--timestamp", help="Timestamp column.")] = None,
    min_count: Annotated[int, typer.Option(min=1, help="Hide edges seen fewer times.")] = 1,
    top: Annotated[int, typer.Option(min=1, help="Rows to show of each table.")] = 15,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    out: Annotated[
        Path | None, typer.Option(help="Folder to write dfg.csv, variants.csv, durations.csv.")
    ] = None,
) -> None:
    """Directly-follows graph, variants and case durations of any event log. / プロセス発見"""
    import time

    from kizuna.analytics.journeys import (
        case_durations,
        directly_follows,
        endpoints,
        event_log,
        variants,
    )

    if output_format not in ("table", "json"):
        raise InvalidInput("--format is table or json.", "--format は table か json です。")
    frame = read_event_log(file)
    columns = [str(c) for c in frame.columns]
    names = (
        _column(columns, case, "case"),
        _column(columns, activity, "activity"),
        _column(columns, timestamp, "timestamp"),
    )
    started = time.perf_counter()
    log = event_log(frame, *names)
    edges = directly_follows(log, min_count=min_count)
    paths = variants(log)
    durations = case_durations(log)
    ends = endpoints(log)
    seconds = time.perf_counter() - started
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        _safe_csv(edges, out / "dfg.csv")
        _safe_csv(paths.assign(variant=paths["variant"].map(" > ".join)), out / "variants.csv")
        _safe_csv(durations, out / "durations.csv")
    spread = durations["duration_seconds"].describe()
    summary: dict[str, Any] = {
        "file": file.name,
        "columns": dict(zip(("case", "activity", "timestamp"), names, strict=True)),
        "events": log.events,
        "cases": log.cases,
        "activities": len(log.activity_labels),
        "variant_count": len(paths),
        "seconds": round(seconds, 3),
        "case_duration_seconds": {
            k: float(spread[k]) for k in ("min", "50%", "mean", "max") if k in spread
        },
    }
    if output_format == "json":
        payload = {
            **summary,
            "directly_follows": edges.head(top).to_dict("records"),
            "variants": [
                {**row, "variant": list(row["variant"])}
                for row in paths.head(top).to_dict("records")
            ],
            "start_end": ends.to_dict("records"),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str, indent=2))
        return
    console.print(
        f"[bold]{file.name}[/bold]: {log.events:,} events, {log.cases:,} cases, "
        f"{len(log.activity_labels):,} activities, {len(paths):,} variants "
        f"({seconds:.2f} s; case {names[0]}, activity {names[1]}, timestamp {names[2]})"
    )
    table = Table("source", "target", "count", "median", title="Directly-follows graph")
    for source, target, count, median in edges.head(top).itertuples(index=False):
        table.add_row(str(source), str(target), f"{count:,}", _duration(float(median)))
    console.print(table)
    table = Table("count", "share", "events", "median duration", "variant", title="Variants")
    for variant, count, share, length, median in paths.head(top).itertuples(index=False):
        table.add_row(
            f"{count:,}",
            f"{share:.1%}",
            str(length),
            _duration(float(median)),
            " > ".join(str(step) for step in variant),
        )
    console.print(table)
    spread_seconds: dict[str, float] = summary["case_duration_seconds"]
    durations_line = ", ".join(f"{k} {_duration(v)}" for k, v in spread_seconds.items())
    console.print(f"Case durations: {durations_line}")


@app.command("stages")
def stages_command(workspace: WorkspaceOption) -> None:
    """The journey's stages and touchpoint rules, in order. / 段階とルール"""
    from kizuna.command import build_app
    from kizuna.journeys.definition import load_definition
    from kizuna.journeys.journey_map import stage_name

    with build_app() as kz, kz.session() as session:
        definition = load_definition(session, kz.workspace(session, workspace))
    table = Table("#", "code", "name", "funnel", title=f"Stages (version {definition.version})")
    for i, stage in enumerate(definition.stages, 1):
        table.add_row(
            str(i), stage.code, stage_name(stage.__dict__, "ja"), "yes" if stage.in_funnel else "no"
        )
    console.print(table)
    table = Table("#", "applies to", "match", "stage", "touchpoint", "direct", title="Rules")
    for i, rule in enumerate(definition.rules, 1):
        table.add_row(
            str(i),
            rule.applies_to,
            json.dumps(rule.match, ensure_ascii=False),
            rule.stage,
            rule.touchpoint or "(own)",
            "(own)" if rule.direct is None else str(rule.direct).lower(),
        )
    console.print(table)


@app.command("refresh")
def refresh_command(
    workspace: WorkspaceOption,
    scope: ScopeOption = "all",
    period: PeriodOption = "365d",
    every: Annotated[
        bool, typer.Option("--every", help="Every scope worth keeping fresh.")
    ] = False,
) -> None:
    """Compute and store the journey analytics now (what the nightly job does). / 再計算"""
    from kizuna.command import build_app
    from kizuna.journeys.aggregate import refresh_journey
    from kizuna.journeys.jobs import scopes_to_refresh

    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            session.expunge(ws)
            wanted = scopes_to_refresh(session, ws) if every else [(scope, period)]
        for one_scope, one_period in wanted:
            report = refresh_journey(kz, ws, one_scope, one_period)
            console.print(
                f"{report.scope} {report.period}: {report.customers:,} customers, "
                f"{report.interactions:,} interactions, {report.voices:,} voices "
                f"({report.seconds:.1f} s)"
            )


@app.command("show")
def show_command(
    workspace: WorkspaceOption,
    scope: ScopeOption = "all",
    period: PeriodOption = "365d",
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The stored journey: funnel, emotion curve, pain points, moments of truth. / 表示"""
    from kizuna.command import build_app
    from kizuna.journeys.views import journey_view

    with build_app() as kz, kz.session() as session:
        view = journey_view(session, kz.workspace(session, workspace), scope, period, "ja")
        result = view.result
    if not result:
        raise InvalidInput(
            f"Not computed yet: run `kizuna journeys refresh -w {workspace} --scope {scope} "
            f"--period {period}` first.",
            f"まだ計算されていません。先に `kizuna journeys refresh -w {workspace} --scope {scope} "
            f"--period {period}` を実行してください。",
        )
    if output_format == "json":
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    table = Table(
        "stage", "reached", "conversion", "95% interval", "dropped", "median days", title="Funnel"
    )
    for row in result["funnel"]:
        conversion = row["conversion"]
        table.add_row(
            row["stage"],
            f"{row['reached']:,}",
            "-" if conversion is None else f"{conversion:.1%}",
            "-"
            if conversion is None
            else f"{row['conversion_low']:.1%}-{row['conversion_high']:.1%}",
            f"{row['dropped']:,}",
            "-" if row["median_days"] is None else f"{row['median_days']:.1f}",
        )
    console.print(table)
    table = Table("stage", "voices", "mean sentiment", "95% interval", title="Emotion curve")
    for row in result["emotion_curve"]:
        mean = row["mean"]
        table.add_row(
            row["stage"],
            str(row["n"]),
            "-" if mean is None else f"{mean:+.2f}",
            "-" if row["ci_low"] is None else f"{row['ci_low']:+.2f}..{row['ci_high']:+.2f}",
        )
    console.print(table)
    table = Table("touchpoint", "topic", "mentions", "negative", "score", title="Pain points")
    for row in result["pain_points"][:10]:
        table.add_row(
            row["touchpoint"],
            row["topic"],
            str(row["volume"]),
            f"{row['negative_share']:.0%}",
            f"{row['score']:.1f}",
        )
    console.print(table)
    moments = result["moments"]
    if moments.get("error"):
        console.print(f"Moments of truth: {moments['error']['en']}")
        return
    table = Table(
        "touchpoint",
        "share of R²",
        "significant",
        "direction",
        title=f"Moments of truth (R² {moments['r2']:.3f})",
    )
    for row in moments["rows"][:10]:
        table.add_row(
            row["touchpoint"],
            f"{row['share']:.1%}",
            "yes" if row["significant"] else "no",
            "+" if row["direction"] > 0 else "-",
        )
    console.print(table)


@app.command("map")
def map_command(
    workspace: WorkspaceOption,
    out: Annotated[Path, typer.Option(help="File to write: .pdf, .png or .svg.")],
    scope: ScopeOption = "all",
    period: PeriodOption = "365d",
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """Export the journey map (A3 landscape, Japanese fonts). / ジャーニーマップの書き出し"""
    from kizuna.command import build_app
    from kizuna.journeys.journey_map import journey_map_svg
    from kizuna.journeys.render import svg_to_pdf, svg_to_png
    from kizuna.journeys.views import map_input

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".png", ".svg"):
        raise UnsupportedFile(
            "Write the map to a .pdf, .png or .svg file.",
            "マップは .pdf・.png・.svg のファイルに書き出してください。",
        )
    with build_app() as kz, kz.session() as session:
        data = map_input(session, kz.workspace(session, workspace), scope, period, language)
    svg = journey_map_svg(data)
    if suffix == ".svg":
        out.write_text(svg, encoding="utf-8")
    else:
        out.write_bytes(svg_to_pdf(svg) if suffix == ".pdf" else svg_to_png(svg))
    console.print(f"wrote {out} ({out.stat().st_size:,} bytes)")


def _safe_csv(frame: Any, path: Path) -> None:
    """The frame as CSV, its text cells safe to open in a spreadsheet (`kizuna.cells`)."""
    from kizuna.cells import safe_cell

    text = frame.select_dtypes(include=["object", "string"]).columns
    frame.assign(**{c: frame[c].map(safe_cell) for c in text}).to_csv(path, index=False)
