"""`kizuna surveys`: create, check, publish and close surveys; links, invitations, reminders,
QR codes and the widget; responses, results and exports; the contact rules.

Thin commands over the services; Kizuna's errors reach the root command, which prints the
message and the next step (a definition's problems each with its place).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.surveys import service
from kizuna.surveys.builder import read_text, to_yaml
from kizuna.surveys.cli_options import SurveyArgument, WorkspaceOption, console
from kizuna.surveys.definition import InvalidSurvey, parse_definition
from kizuna.surveys.distribution import public_url
from kizuna.surveys.distribution_cli import app as distribution_app
from kizuna.surveys.library import list_templates, template_text
from kizuna.surveys.results_cli import app as results_app
from kizuna.surveys.rules_cli import app as rules_app

__all__ = ["app"]

app = typer.Typer(
    help="Surveys: build, distribute, answer, results. / アンケート", no_args_is_help=True
)

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


# The commands of the neighbouring rooms, where `kizuna surveys --help` has always listed them.
app.registered_commands += [
    *distribution_app.registered_commands,
    *results_app.registered_commands,
    *rules_app.registered_commands,
]


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
