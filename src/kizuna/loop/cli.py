"""`kizuna loop`: departments, rules (test, switch on), cases, the SLA check, improvements,
praise, loop metrics and webhooks, over the same services as the pages and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from kizuna.accounts.audit import cli_actor
from kizuna.command import build_app
from kizuna.errors import InvalidInput
from kizuna.loop import case_list, case_notes
from kizuna.loop import cases as case_service
from kizuna.loop import rules as rule_service
from kizuna.loop.case_list import CaseFilters
from kizuna.loop.cases import CaseViewer
from kizuna.loop.config import business_calendar
from kizuna.loop.departments import add_department_member, create_department, list_departments
from kizuna.loop.improvements import (
    change_improvement,
    create_improvement,
    link_voices,
    list_improvements,
    suggest_voices,
)
from kizuna.loop.metrics import loop_metrics
from kizuna.loop.praise import create_praise_target, list_praise
from kizuna.loop.sla import check_slas
from kizuna.loop.webhooks import create_webhook, list_deliveries, list_webhooks

__all__ = ["app"]

app = typer.Typer(help="Close the loop. / クローズドループ", no_args_is_help=True)
rules_app = typer.Typer(help="Rules. / ルール", no_args_is_help=True)
cases_app = typer.Typer(help="Cases. / ケース", no_args_is_help=True)
improvements_app = typer.Typer(help="Improvements. / 改善", no_args_is_help=True)
departments_app = typer.Typer(help="Departments. / 部署", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhooks.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(cases_app, name="cases")
app.add_typer(improvements_app, name="improvements")
app.add_typer(departments_app, name="departments")
app.add_typer(webhooks_app, name="webhooks")
console = Console()
WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{what} is not valid JSON ({exc.msg}).",
            f"{what} が正しい JSON ではありません({exc.msg})。",
        ) from None


def _print(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@departments_app.command("list")
def departments_list(workspace: WorkspaceOption) -> None:
    """Departments, leads and members. / 部署一覧"""
    with build_app() as kz, kz.session() as session:
        table = Table("id", "name", "lead", "members")
        for row in list_departments(session, kz.workspace(session, workspace)):
            table.add_row(
                str(row.department.id),
                row.department.name,
                row.lead_name or "-",
                ", ".join(n for _, n in row.members),
            )
        console.print(table)


@departments_app.command("create")
def departments_create(
    workspace: WorkspaceOption,
    name: str,
    lead: Annotated[int | None, typer.Option(help="User id of the lead.")] = None,
    email: Annotated[str | None, typer.Option(help="The department's e-mail address.")] = None,
) -> None:
    """Create a department. / 部署を作成"""
    with build_app() as kz, kz.session() as session:
        made = create_department(
            session,
            kz.workspace(session, workspace),
            name,
            lead_id=lead,
            email=email,
            actor=cli_actor(),
        )
        console.print(f"department {made.id}: {made.name}")


@departments_app.command("add-member")
def departments_add_member(workspace: WorkspaceOption, department_id: int, user_id: int) -> None:
    """Add a member to a department. / 部署にメンバーを追加"""
    with build_app() as kz, kz.session() as session:
        add_department_member(
            session, kz.workspace(session, workspace), department_id, user_id, actor=cli_actor()
        )
        console.print("added")


@rules_app.command("list")
def rules_list(workspace: WorkspaceOption) -> None:
    """Rules and their status. / ルール一覧"""
    with build_app() as kz, kz.session() as session:
        table = Table("id", "name", "status", "hold")
        for rule in rule_service.list_rules(session, kz.workspace(session, workspace)):
            table.add_row(str(rule.id), rule.name, rule.status, rule.hold_reason or "")
        console.print(table)


@rules_app.command("create")
def rules_create(
    workspace: WorkspaceOption,
    name: str,
    conditions: Annotated[
        str, typer.Argument(help='JSON, e.g. [{"field":"nps","op":"lte","value":6}]')
    ],
    actions: Annotated[
        str, typer.Argument(help='JSON, e.g. [{"type":"open_case","department_id":1,"priority":2}]')
    ],
    max_cases_per_hour: int = 20,
) -> None:
    """Create a rule (off until `kizuna loop rules activate`). / ルールを作成"""
    with build_app() as kz, kz.session() as session:
        rule = rule_service.create_rule(
            session,
            kz.workspace(session, workspace),
            name,
            _json(conditions, "conditions"),
            _json(actions, "actions"),
            max_cases_per_hour=max_cases_per_hour,
            actor=cli_actor(),
        )
        console.print(f"rule {rule.id}: {rule.name} ({rule.status})")


@rules_app.command("test")
def rules_test(workspace: WorkspaceOption, rule_id: int, days: int = 30) -> None:
    """What a rule would have matched over the last N days. / ルールを試す"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        rule = rule_service.get_rule(session, ws, rule_id)
        result = rule_service.test_rule(
            session, ws, rule.conditions, rule.actions, limit=rule.max_cases_per_hour, days=days
        )
        console.print(
            f"matched {result.matched:,} of {result.examined:,} voices in {days} days; busiest hour {result.max_per_hour}"
        )
        for sample in result.samples:
            console.print(f"  #{sample['feedback_id']}: {sample['text']}")


@rules_app.command("activate")
def rules_activate(workspace: WorkspaceOption, rule_id: int, force: bool = False) -> None:
    """Test, then switch a rule on (or hold it, saying why). / ルールを有効化"""
    with build_app() as kz, kz.session() as session:
        rule, result = rule_service.activate_rule(
            session, kz.workspace(session, workspace), rule_id, force=force, actor=cli_actor()
        )
        console.print(
            f"rule {rule.id}: {rule.status}{' (' + rule.hold_reason + ')' if rule.hold_reason else ''}; would have matched {result.matched:,}"
        )


@rules_app.command("deactivate")
def rules_deactivate(workspace: WorkspaceOption, rule_id: int) -> None:
    """Switch a rule off. / ルールを無効化"""
    with build_app() as kz, kz.session() as session:
        rule = rule_service.deactivate_rule(
            session, kz.workspace(session, workspace), rule_id, actor=cli_actor()
        )
        console.print(f"rule {rule.id}: {rule.status}")


@cases_app.command("list")
def cases_list(
    workspace: WorkspaceOption,
    status: str = "open",
    department: int | None = None,
    page: int = 1,
    output: FormatOption = "table",
) -> None:
    """Cases, most urgent first. / ケース一覧"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        found = case_list.list_cases(
            session,
            ws,
            CaseViewer.everyone(cli_actor()),
            CaseFilters(status=status, department_id=department),
            page=page,
        )
        if output == "json":
            from kizuna.loop.presenters import case_dict

            _print({"total": found.total, "items": [case_dict(c) for c in found.items]})
            return
        table = Table("id", "priority", "status", "title", "owner", "resolve by")
        for c in found.items:
            table.add_row(
                str(c.id),
                str(c.priority),
                c.status,
                c.title,
                c.owner_name or "-",
                f"{c.resolution_due.astimezone(ZoneInfo(ws.timezone)):%Y-%m-%d %H:%M}"
                if c.resolution_due
                else "-",
            )
        console.print(table)
        console.print(f"{found.total:,} cases")


@cases_app.command("show")
def cases_show(workspace: WorkspaceOption, case_id: int) -> None:
    """A case with its history. / ケースの詳細"""
    from kizuna.loop.presenters import case_detail

    with build_app() as kz, kz.session() as session:
        _print(
            case_detail(
                session, kz.workspace(session, workspace), case_id, CaseViewer.everyone(cli_actor())
            )
        )


@cases_app.command("update")
def cases_update(
    workspace: WorkspaceOption,
    case_id: int,
    status: str | None = None,
    owner: Annotated[int | None, typer.Option(help="User id of the new owner.")] = None,
    priority: int | None = None,
    root_cause: str | None = None,
    note: Annotated[str | None, typer.Option(help="Resolution note.")] = None,
) -> None:
    """Change a case's status, owner, priority or closing notes. / ケースを更新"""
    with build_app() as kz, kz.session() as session:
        case = case_service.change_case(
            session,
            kz.workspace(session, workspace),
            case_id,
            viewer=CaseViewer.everyone(cli_actor()),
            version=None,
            status=status,
            owner_id=owner,
            priority=priority,
            root_cause=root_cause,
            resolution_note=note,
            settings=kz.settings,
        )
        console.print(f"case {case.id}: {case.status}")


@cases_app.command("comment")
def cases_comment(workspace: WorkspaceOption, case_id: int, body: str) -> None:
    """Comment on a case. / コメント"""
    with build_app() as kz, kz.session() as session:
        case_notes.add_comment(
            session,
            kz.workspace(session, workspace),
            case_id,
            body,
            viewer=CaseViewer.everyone(cli_actor()),
            settings=kz.settings,
        )
        console.print("commented")


@cases_app.command("handoff")
def cases_handoff(workspace: WorkspaceOption, case_id: int, department_id: int, note: str) -> None:
    """Hand a case to another department with a note. / 引き継ぎ"""
    with build_app() as kz, kz.session() as session:
        case_notes.hand_off(
            session,
            kz.workspace(session, workspace),
            case_id,
            department_id,
            note,
            viewer=CaseViewer.everyone(cli_actor()),
            version=None,
            settings=kz.settings,
        )
        console.print("handed off")


@app.command("sla-check")
def sla_check(workspace: WorkspaceOption) -> None:
    """Warn and escalate now (the schedule does it every five minutes). / SLA 確認"""
    with build_app() as kz, kz.session() as session:
        done = check_slas(session, kz.settings, kz.workspace(session, workspace))
        console.print(f"warned {done.warned}, escalated {done.breached}")


@app.command("deadline")
def deadline(
    workspace: WorkspaceOption,
    hours: Annotated[float, typer.Argument(help="Business hours to add.")],
    start: Annotated[str | None, typer.Option(help="ISO date-time; now when left out.")] = None,
) -> None:
    """The moment N business hours after a start, on the workspace's calendar. / 営業時間での期限"""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        calendar = business_calendar(session, ws)
    zone = ZoneInfo(ws.timezone)
    moment = dt.datetime.fromisoformat(start) if start else dt.datetime.now(zone)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    due = calendar.add(moment, dt.timedelta(hours=hours)).astimezone(zone)
    console.print(f"{due:%Y-%m-%d %H:%M %Z}")


@improvements_app.command("list")
def improvements_list(workspace: WorkspaceOption) -> None:
    """Improvements and their voices. / 改善一覧"""
    with build_app() as kz, kz.session() as session:
        table = Table("id", "status", "title", "voices")
        for imp, n in list_improvements(session, kz.workspace(session, workspace)):
            table.add_row(str(imp.id), imp.status, imp.title, str(n))
        console.print(table)


@improvements_app.command("create")
def improvements_create(
    workspace: WorkspaceOption, title: str, description: str = "", topic: str | None = None
) -> None:
    """Add an improvement idea. / 改善を追加"""
    with build_app() as kz, kz.session() as session:
        made = create_improvement(
            session,
            kz.workspace(session, workspace),
            title,
            description,
            topic=topic,
            actor=cli_actor(),
        )
        console.print(f"improvement {made.id}: {made.title}")


@improvements_app.command("link")
def improvements_link(
    workspace: WorkspaceOption, improvement_id: int, feedback_ids: list[int]
) -> None:
    """Link voices to an improvement. / 声をリンク"""
    with build_app() as kz, kz.session() as session:
        added = link_voices(
            session,
            kz.workspace(session, workspace),
            improvement_id,
            feedback_ids,
            actor=cli_actor(),
        )
        console.print(f"linked {added}")


@improvements_app.command("suggest")
def improvements_suggest(workspace: WorkspaceOption, improvement_id: int, limit: int = 10) -> None:
    """Similar voices to link, with quotes. / 似た声の候補"""
    with build_app() as kz, kz.session() as session:
        for s in suggest_voices(
            session, kz.workspace(session, workspace), improvement_id, limit=limit
        ):
            console.print(
                f"#{s.feedback_id} ({s.score:.2f}{', same topic' if s.same_topic else ''}): {s.text}"
            )


@improvements_app.command("status")
def improvements_status(workspace: WorkspaceOption, improvement_id: int, status: str) -> None:
    """Move an improvement (shipped tells its contributors once). / 状態を変更"""
    with build_app() as kz, kz.session() as session:
        imp = change_improvement(
            session,
            kz.workspace(session, workspace),
            improvement_id,
            status=status,
            actor=cli_actor(),
        )
        console.print(f"improvement {imp.id}: {imp.status}")


@app.command("praise")
def praise(workspace: WorkspaceOption, target: int | None = None, limit: int = 20) -> None:
    """The praise feed. / 称賛フィード"""
    with build_app() as kz, kz.session() as session:
        for item in list_praise(
            session, kz.workspace(session, workspace), target_id=target, limit=limit
        ):
            console.print(f"{item.target.name}: {item.text}")


@app.command("praise-target")
def praise_target(
    workspace: WorkspaceOption,
    name: str,
    kind: str = "staff",
    alias: Annotated[list[str] | None, typer.Option(help="Another name customers use.")] = None,
    digest: Annotated[list[str] | None, typer.Option(help="Weekly digest address.")] = None,
) -> None:
    """Add a staff member, team, role or store that praise can reach. / 称賛の宛先"""
    with build_app() as kz, kz.session() as session:
        made = create_praise_target(
            session,
            kz.workspace(session, workspace),
            name,
            kind=kind,
            aliases=alias or [],
            digest_emails=digest or [],
            actor=cli_actor(),
        )
        console.print(f"praise target {made.id}: {made.name}")


@app.command("metrics")
def metrics(workspace: WorkspaceOption, days: int = 90) -> None:
    """Closed-loop rate, response times, SLA compliance, backlog, recovery. / ループ指標"""
    with build_app() as kz, kz.session() as session:
        _print(loop_metrics(session, kz.workspace(session, workspace), days=days).as_dict())


@webhooks_app.command("add")
def webhooks_add(
    workspace: WorkspaceOption,
    url: str,
    name: str = "",
    event: Annotated[list[str] | None, typer.Option()] = None,
) -> None:
    """Add a webhook endpoint; prints its signing secret once."""
    with build_app() as kz, kz.session() as session:
        hook = create_webhook(
            session,
            kz.workspace(session, workspace),
            name,
            url,
            event or ["rule.matched"],
            actor=cli_actor(),
        )
        console.print(f"webhook {hook.id}; secret (shown once): {hook.secret}")


@webhooks_app.command("list")
def webhooks_list(workspace: WorkspaceOption) -> None:
    """Webhook endpoints and their recent deliveries."""
    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        for hook in list_webhooks(session, ws):
            console.print(f"{hook.id} {hook.name} {hook.url} {hook.events}")
            for d in list_deliveries(session, ws, hook.id, limit=10):
                console.print(
                    f"   #{d.id} {d.event} {d.state} attempts={d.attempts} {d.last_status or ''} {d.last_error or ''}"
                )
