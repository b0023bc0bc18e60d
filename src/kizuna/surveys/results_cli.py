"""`kizuna surveys responses|results|export`: a survey's answers and results on the terminal.

Thin commands over the results services; `kizuna.surveys.cli` registers them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kizuna.command import build_app
from kizuna.surveys import service
from kizuna.surveys.cli_options import SurveyArgument, WorkspaceOption, console
from kizuna.surveys.export import export_responses
from kizuna.surveys.listing import list_responses
from kizuna.surveys.results import results_to_dict, survey_results

__all__ = ["app"]

# Registered on `kizuna.surveys.cli.app` (in the order `kizuna surveys --help` lists them).
app = typer.Typer()


@app.command("responses")
def responses_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    format: Annotated[str, typer.Option(help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """The newest responses with their answers. / 回答一覧"""
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        rows, _ = list_responses(session, survey, language, limit=limit)
        if format == "json":
            print(
                json.dumps(
                    [
                        {
                            "id": r.response.id,
                            "state": r.response.state,
                            "channel": r.response.channel,
                            "answers": r.response.answers,
                            "feedback_id": r.response.feedback_id,
                        }
                        for r in rows
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        table = Table("id", "state", "channel", "completed", "answers")
        for row in rows:
            r = row.response
            table.add_row(
                str(r.id),
                r.state,
                r.channel,
                f"{r.completed_at:%Y-%m-%d %H:%M}" if r.completed_at else "",
                "; ".join(f"{qid}={answer}" for qid, _, answer in row.answers),
            )
    console.print(table)


@app.command("results")
def results_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    format: Annotated[str, typer.Option(help="table or json.")] = "table",
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
) -> None:
    """The funnel, NPS/CSAT/CES with intervals and each question's distribution. / 結果"""
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        results = survey_results(session, survey, language)
        data = results_to_dict(results, language)
    if format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    funnel = Table("channel", "sent", "delivered", "opened", "started", "completed", "rate")
    for f in data["funnel"]:
        rate = f"{100 * f['response_rate']:.1f}%" if f["response_rate"] is not None else "-"
        funnel.add_row(
            f["channel"],
            *(
                str(f[k]) if f[k] is not None else "-"
                for k in ("invited", "delivered", "opened", "started", "completed")
            ),
            rate,
        )
    console.print(funnel)
    if data["median_seconds"] is not None:
        console.print(f"median time to complete: {data['median_seconds'] / 60:.1f} min")
    for s in data["scores"]:
        interval = f"[{s['low']:.1f}, {s['high']:.1f}]" if s["low"] is not None else ""
        console.print(
            f"{s['metric'].upper()} {s['value']:.1f} {interval} n={s['n']} "
            f"top-box {100 * s['top_box']:.1f}% top-2-box {100 * s['top2_box']:.1f}%"
        )
    for q in data["questions"]:
        if q["distribution"]:
            cells = " ".join(f"{d['label']}:{d['count']}" for d in q["distribution"])
            console.print(f"{q['id']} (n={q['n']}): {cells}")


@app.command("export")
def export_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.csv or .xlsx).")],
    format: Annotated[
        str | None, typer.Option(help="csv or xlsx (default: from the file name).")
    ] = None,
    language: Annotated[str, typer.Option(help="Labels in ja or en.")] = "ja",
) -> None:
    """Export the responses: CSV for Japanese Excel (UTF-8 with BOM) or an Excel workbook."""
    fmt = format or output.suffix.lstrip(".").lower() or "csv"
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        data = export_responses(session, survey, fmt, language)
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data):,} bytes)")
