"""`kizuna surveys`: create, check, publish and close surveys; links, invitations, reminders,
QR codes and the widget; responses, results and exports; the contact rules.

Thin commands over the services; Kizuna's errors reach the root command, which prints the
message and the next step (a definition's problems each with its place).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.surveys import service
from kizuna.surveys.builder import read_text, to_yaml
from kizuna.surveys.definition import InvalidSurvey, parse_definition
from kizuna.surveys.distribution import create_personal_link, public_url
from kizuna.surveys.export import export_responses
from kizuna.surveys.library import list_templates, template_text
from kizuna.surveys.listing import list_responses
from kizuna.surveys.qr import qr_code
from kizuna.surveys.reminders import send_reminders
from kizuna.surveys.results import results_to_dict, survey_results
from kizuna.surveys.sending import invite_customers_now_or_later, resolve_audience
from kizuna.surveys.voices import close_stale_partials
from kizuna.surveys.widget import iframe_snippet, widget_snippet

__all__ = ["app"]

app = typer.Typer(
    help="Surveys: build, distribute, answer, results. / アンケート", no_args_is_help=True
)
console = Console()

WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
SurveyArgument = Annotated[int, typer.Argument(help="Survey id (see `kizuna surveys list`).")]
FileArgument = Annotated[
    Path, typer.Argument(help="Definition file (YAML or JSON).", exists=True, dir_okay=False)
]


def _read(path: Path) -> tuple[dict[str, Any], bytes | None]:
    """The definition in a file, and the logo its brand.logo names (a path beside it)."""
    raw = read_text(path.read_text(encoding="utf-8-sig"))
    brand = raw.get("brand")
    logo = None
    if isinstance(brand, dict) and isinstance(brand.get("logo"), str):
        logo_path = (path.parent / brand.pop("logo")).resolve()
        if not logo_path.is_file():
            raise InvalidInput(
                f"The logo file {logo_path} does not exist; fix brand.logo.",
                f"ロゴのファイル {logo_path} がありません。brand.logo を直してください。",
            )
        logo = logo_path.read_bytes()
    return raw, logo


@app.command("create")
def create_command(
    workspace: WorkspaceOption,
    file: Annotated[
        Path | None,
        typer.Argument(help="Definition file (YAML or JSON).", exists=True, dir_okay=False),
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="Start from a template (see `kizuna surveys templates`).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name for your team.")] = None,
    publish: Annotated[bool, typer.Option(help="Publish at once.")] = False,
) -> None:
    """Create a survey from a YAML/JSON file or a template. / アンケートを作成"""
    if file is None and template is None:
        raise InvalidInput(
            "Give a definition file or --template NAME.",
            "定義ファイルか --template テンプレート名を指定してください。",
        )
    raw, logo = _read(file) if file is not None else (None, None)
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.create_survey(
            session, ws, raw, template=template, name=name, actor=cli_actor()
        )
        if logo:
            service.set_logo(session, ws, survey.id, logo, actor=cli_actor())
        if publish:
            service.publish_survey(session, ws, survey.id, actor=cli_actor())
        url = public_url(kz.settings, survey)
        survey_id, status = survey.id, survey.status
    console.print(f"survey {survey_id} created ({status}): {url}")


@app.command("validate")
def validate_command(file: FileArgument) -> None:
    """Check a definition file; each problem with its place. / 定義を検査"""
    raw, _ = _read(file)
    try:
        definition = parse_definition(raw)
    except InvalidSurvey as exc:
        for problem in exc.problems:
            console.print(f"[red]{problem.place}[/]: {problem.en} / {problem.ja}")
        raise typer.Exit(1) from None
    console.print(
        f"ok: {len(definition.questions)} questions on {len(definition.pages)} pages, "
        f"languages {', '.join(definition.languages)}"
    )


@app.command("list")
def list_command(workspace: WorkspaceOption) -> None:
    """The workspace's surveys. / 一覧"""
    with build_app() as kz, kz.session() as session:
        rows = service.list_surveys(session, kz.workspace(session, workspace))
        table = Table("id", "name", "status", "version", "completed", "partial", "link")
        for row in rows:
            s = row.survey
            table.add_row(
                str(s.id),
                s.name,
                s.status,
                str(s.version),
                f"{row.completed:,}",
                f"{row.partial:,}",
                public_url(kz.settings, s),
            )
    console.print(table)


@app.command("show")
def show_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    format: Annotated[str, typer.Option(help="yaml or json.")] = "yaml",
) -> None:
    """Print a survey's current definition. / 定義を表示"""
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        definition = dict(survey.definition)
    print(
        json.dumps(definition, ensure_ascii=False, indent=2)
        if format == "json"
        else to_yaml(definition)
    )


@app.command("update")
def update_command(
    workspace: WorkspaceOption, survey_id: SurveyArgument, file: FileArgument
) -> None:
    """Replace a survey's definition (a new version once it has answers). / 定義を更新"""
    raw, logo = _read(file)
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.update_survey(session, ws, survey_id, raw, actor=cli_actor())
        if logo:
            service.set_logo(session, ws, survey.id, logo, actor=cli_actor())
        version = survey.version
    console.print(f"survey {survey_id} is at version {version}")


@app.command("publish")
def publish_command(workspace: WorkspaceOption, survey_id: SurveyArgument) -> None:
    """Open a survey for answers. / 公開"""
    with build_app() as kz, kz.session() as session:
        survey = service.publish_survey(
            session, kz.workspace(session, workspace), survey_id, actor=cli_actor()
        )
        url = public_url(kz.settings, survey)
    console.print(f"survey {survey_id} is live: {url}")


@app.command("close")
def close_command(workspace: WorkspaceOption, survey_id: SurveyArgument) -> None:
    """Stop taking answers. / 締め切り"""
    with build_app() as kz, kz.session() as session:
        service.close_survey(
            session, kz.workspace(session, workspace), survey_id, actor=cli_actor()
        )
    console.print(f"survey {survey_id} is closed")


@app.command("templates")
def templates_command() -> None:
    """The survey templates. / テンプレート一覧"""
    table = Table("template", "title", "measures", "questions")
    for t in list_templates():
        table.add_row(
            t.code,
            t.definition.title.get("ja", ""),
            ", ".join(t.measures),
            str(len(t.definition.questions)),
        )
    console.print(table)


@app.command("template")
def template_command(code: Annotated[str, typer.Argument(help="Template name.")]) -> None:
    """Print a template's YAML, to edit and create from. / テンプレートを表示"""
    print(template_text(code), end="")


def _pairs(values: list[str] | None) -> dict[str, str]:
    found = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(
                f"Write a hidden field as name=value (got {item!r}).",
                f"隠しフィールドは name=value の形で書いてください({item!r})。",
            )
        found[name.strip()] = value.strip()
    return found


@app.command("link")
def link_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    customer: Annotated[int | None, typer.Option(help="Customer id the link is bound to.")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint the link is bound to.")] = None,
    days: Annotated[int | None, typer.Option(help="Days the link works.")] = None,
    hidden: Annotated[list[str] | None, typer.Option(help="Hidden field name=value.")] = None,
) -> None:
    """Make a personal link: signed, single use, expiring. / 個別リンク"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.get_survey(session, ws, survey_id)
        invitation, url = create_personal_link(
            session,
            kz.settings,
            ws,
            survey,
            customer_id=customer,
            touchpoint=touchpoint,
            hidden=_pairs(hidden),
            days=days,
            actor=cli_actor(),
        )
        reason, expires = invitation.skip_reason, invitation.expires_at
    if url is None:
        console.print(f"no link: the contact rules skipped this customer ({reason})")
        raise typer.Exit(1)
    console.print(f"{url}\n(expires {expires:%Y-%m-%d %H:%M} UTC)")


@app.command("invite")
def invite_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    customers: Annotated[str | None, typer.Option(help="Customer ids, e.g. 1,2,3.")] = None,
    segment: Annotated[int | None, typer.Option(help="A saved segment's id.")] = None,
    consented: Annotated[bool, typer.Option(help="Everyone who agreed to e-mail.")] = False,
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint of the invitations.")] = None,
) -> None:
    """E-mail invitations with the first question inside, under the contact rules. / 招待"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        survey = service.get_survey(session, ws, survey_id)
        if consented:
            ids = resolve_audience(session, ws, "consented")
        elif segment is not None:
            ids = resolve_audience(session, ws, "segment", segment_id=segment)
        else:
            ids = resolve_audience(session, ws, "ids", customers or "")
        report, jobs = invite_customers_now_or_later(
            session, kz.settings, ws, survey, ids, touchpoint=touchpoint, actor=cli_actor()
        )
    if jobs:
        console.print(
            f"{len(ids):,} invitations queued in {jobs} jobs (`kizuna worker` sends them)"
        )
        return
    skipped = ", ".join(f"{k} {v}" for k, v in report.skipped.items()) or "none"
    console.print(
        f"sent {report.sent}, scheduled {report.scheduled}, already invited {report.already}, "
        f"skipped {sum(report.skipped.values())} ({skipped})"
    )


@app.command("remind")
def remind_command(
    workspace: WorkspaceOption,
    survey_id: Annotated[int | None, typer.Argument(help="Only this survey.")] = None,
) -> None:
    """Send the reminders due now to those who have not answered. / リマインド"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        sent = send_reminders(session, kz.settings, ws, survey_id=survey_id, actor=cli_actor())
    console.print(f"{sent} reminders sent")


@app.command("qr")
def qr_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.png or .svg).")],
    touchpoint: Annotated[str | None, typer.Option(help="Touchpoint the code carries.")] = None,
    format: Annotated[
        str | None, typer.Option(help="png or svg (default: from the file name).")
    ] = None,
) -> None:
    """A QR code for receipts, rooms and counters, carrying the touchpoint. / QRコード"""
    fmt = format or output.suffix.lstrip(".").lower() or "png"
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        data = qr_code(kz.settings, survey, fmt, touchpoint=touchpoint)
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data):,} bytes)")


@app.command("widget")
def widget_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    delay: Annotated[int, typer.Option(help="Seconds before it shows.")] = 10,
    event: Annotated[str | None, typer.Option(help="Show on this page event instead.")] = None,
) -> None:
    """The website widget's script tag (and the iframe variant). / ウィジェット"""
    with build_app() as kz, kz.session() as session:
        survey = service.get_survey(session, kz.workspace(session, workspace), survey_id)
        script = widget_snippet(kz.settings, survey, delay=delay, event=event)
        frame = iframe_snippet(kz.settings, survey)
    print(script)
    print(frame)


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


_QUIET = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


@app.command("rules")
def rules_command(
    workspace: WorkspaceOption,
    frequency_days: Annotated[
        int | None, typer.Option(help="Ask a customer at most once per N days.")
    ] = None,
    quiet: Annotated[str | None, typer.Option(help="Quiet hours, e.g. 21:00-09:00.")] = None,
    consent: Annotated[
        bool | None,
        typer.Option("--consent/--no-consent", help="Only customers who agreed to e-mail."),
    ] = None,
    link_days: Annotated[int | None, typer.Option(help="Days a personal link works.")] = None,
    partial_minutes: Annotated[
        int | None, typer.Option(help="Minutes before a partial answer becomes a voice.")
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Answers per minute from one address (0: no limit).")
    ] = None,
    origin: Annotated[
        list[str] | None, typer.Option(help="A site allowed to show the widget (repeat).")
    ] = None,
) -> None:
    """Show or change the contact rules shared by every survey and channel. / 連絡ルール"""
    values: dict[str, Any] = {
        "frequency_days": frequency_days,
        "require_consent": consent,
        "link_days": link_days,
        "partial_timeout_minutes": partial_minutes,
        "rate_limit_per_minute": rate_limit,
        "allowed_origins": origin,
    }
    if quiet is not None:
        match = _QUIET.match(quiet.strip())
        if not match:
            raise InvalidInput(
                "Write quiet hours as HH:MM-HH:MM, e.g. 21:00-09:00.",
                "静かな時間帯は 21:00-09:00 のように書いてください。",
            )
        values["quiet_start"], values["quiet_end"] = match.groups()
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        if any(v is not None for v in values.values()):
            policy = service.update_policy(session, ws, actor=cli_actor(), **values)
        else:
            policy = service.get_policy(session, ws)
        shown = {
            "frequency_days": policy.frequency_days,
            "quiet_hours": f"{policy.quiet_start}-{policy.quiet_end} ({ws.timezone})",
            "require_consent": policy.require_consent,
            "link_days": policy.link_days,
            "partial_timeout_minutes": policy.partial_timeout_minutes,
            "rate_limit_per_minute": policy.rate_limit_per_minute,
            "allowed_origins": " ".join(policy.allowed_origins or []) or "(none)",
        }
    table = Table("rule", "value")
    for name, value in shown.items():
        table.add_row(name, str(value))
    console.print(table)


@app.command("close-partials")
def close_partials_command(workspace: WorkspaceOption) -> None:
    """Turn partial answers past the time-out into voices now. / 途中回答を声に"""
    with build_app() as kz, kz.session() as session:
        made = close_stale_partials(session, kz.workspace(session, workspace))
    console.print(f"{made} partial answers recorded as voices")


@app.command("logo")
def logo_command(
    workspace: WorkspaceOption,
    survey_id: SurveyArgument,
    file: Annotated[Path, typer.Argument(help="PNG, JPEG or GIF.", exists=True, dir_okay=False)],
) -> None:
    """Set the logo of the answering page. / ロゴ"""
    with build_app() as kz, kz.session() as session:
        service.set_logo(
            session,
            kz.workspace(session, workspace),
            survey_id,
            file.read_bytes(),
            actor=cli_actor(),
        )
    console.print(f"logo of survey {survey_id} set")
