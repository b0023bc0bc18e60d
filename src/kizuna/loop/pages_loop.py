"""HTML routes of the loop beyond cases: the rule editor (with "test this rule"), the
improvements board and page, the praise feed, loop metrics, and the admin page for
departments, SLA, business calendar, root causes, praise targets and webhooks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.customers.segments import list_segments
from kizuna.errors import Conflict, InvalidInput, KizunaError, NotFound
from kizuna.loop import rules as rule_service
from kizuna.loop.config import (
    business_calendar,
    loop_settings,
    root_causes,
    sla_policy,
    update_loop_settings,
)
from kizuna.loop.departments import (
    add_department_member,
    create_department,
    list_departments,
    member_names,
)
from kizuna.loop.facts import RULE_FIELDS, field_group
from kizuna.loop.improvements import (
    change_improvement,
    create_improvement,
    get_improvement,
    improvement_effect,
    link_voices,
    linked_voices,
    list_improvements,
    suggest_voices,
)
from kizuna.loop.metrics import loop_metrics
from kizuna.loop.models import IMPROVEMENT_STATUSES
from kizuna.loop.praise import PRAISE_KINDS, create_praise_target, list_praise, list_praise_targets
from kizuna.loop.webhooks import WEBHOOK_EVENTS, create_webhook, list_deliveries, list_webhooks
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["parse_rule_form", "router"]

router = APIRouter(include_in_schema=False)

RuleReaders = Annotated[Caller, Depends(page_member("rules.read"))]
RuleManagers = Annotated[Caller, Depends(page_member("rules.manage"))]
ImprovementReaders = Annotated[Caller, Depends(page_member("improvements.read"))]
ImprovementManagers = Annotated[Caller, Depends(page_member("improvements.manage"))]
PraiseReaders = Annotated[Caller, Depends(page_member("praise.read"))]
LoopReaders = Annotated[Caller, Depends(page_member("loop.read"))]
CaseManagers = Annotated[Caller, Depends(page_member("cases.manage"))]

_LIST_OPS = ("in", "not_in", "contains_any", "has_words", "not_has_words")
_TRUE = {"true", "yes", "1", "はい", "on", "y"}


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _page(
    request: Request,
    name: str,
    member: Caller,
    section: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    values = {"member": member, "tz": member.workspace.timezone, "nav_section": section, **context}
    return render_page(request, name, values, status_code=status_code)


# --- rules ----------------------------------------------------------------------------------


def _typed(field: str, op: str, raw: str) -> Any:
    kind = RULE_FIELDS[field].kind if field in RULE_FIELDS else "text"
    text = raw.strip()
    if op in ("is_null", "not_null"):
        return None
    if op in _LIST_OPS:
        parts = [p.strip() for p in text.replace("、", ",").split(",") if p.strip()]
        return [_one(kind, p) for p in parts]
    return _one(kind, text)


def _one(kind: str, text: str) -> Any:
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text  # the service names the condition and says a number is needed
        return int(number) if number.is_integer() else number
    if kind == "bool":
        return text.lower() in _TRUE
    return text


def parse_rule_form(form: Any) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(basics, conditions, actions) from the rule editor's fields (blank rows skipped)."""
    fields, ops, values = form.getlist("field"), form.getlist("op"), form.getlist("value")
    conditions = [
        {"field": f, "op": o, "value": _typed(f, o, v)}
        for f, o, v in zip(fields, ops, values, strict=False)
        if f
    ]
    actions: list[dict[str, Any]] = []
    if form.get("open_case"):
        department = str(form.get("case_department") or "")
        actions.append(
            {
                "type": "open_case",
                "department_id": int(department) if department.isdigit() else None,
                "priority": int(str(form.get("case_priority") or "3")),
                "title": str(form.get("case_title") or ""),
            }
        )
    emails = [
        a.strip()
        for a in str(form.get("email_to") or "").replace("、", ",").split(",")
        if a.strip()
    ]
    if emails:
        actions.append({"type": "email", "to": emails})
    webhook = str(form.get("webhook_id") or "")
    if webhook.isdigit():
        actions.append({"type": "webhook", "webhook_id": int(webhook)})
    tag = str(form.get("tag") or "").strip()
    if tag:
        actions.append({"type": "tag", "tag": tag})
    if form.get("praise"):
        actions.append({"type": "praise"})
    limit = str(form.get("max_cases_per_hour") or "20")
    basics = {
        "name": str(form.get("name") or ""),
        "description": str(form.get("description") or ""),
        "max_cases_per_hour": int(limit) if limit.isdigit() else 20,
    }
    return basics, conditions, actions


def _rule_context(member: Caller, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return {
        "rules": rule_service.list_rules(session, member.workspace),
        "fields": RULE_FIELDS,
        "field_group": field_group,
        "departments": list_departments(session, member.workspace),
        "webhooks": list_webhooks(session, member.workspace),
        "segments": [s for s, _ in list_segments(session, member.workspace)],
        "can_manage": member.may("rules.manage"),
        "rule": None,
        "draft": {"name": "", "description": "", "max_cases_per_hour": 20},
        "conditions": [{"field": "", "op": "eq", "value": ""}],
        "actions": [],
        "result": None,
        "error": None,
        **extra,
    }


def _actions_by_type(actions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(a.get("type")): a for a in actions}


@router.get("/w/{slug}/rules")
def show_rules(request: Request, member: RuleReaders, session: SessionDep) -> Response:
    """Rules and their status, and the editor for a new one."""
    context = _rule_context(member, session)
    context["actions"] = {}
    return _page(request, "loop/rules.html", member, "rules", context)


@router.get("/w/{slug}/rules/{rule_id}")
def show_rule(request: Request, member: RuleReaders, session: SessionDep, rule_id: int) -> Response:
    """One rule in the editor, with its last test."""
    rule = rule_service.get_rule(session, member.workspace, rule_id)
    context = _rule_context(
        member,
        session,
        rule=rule,
        draft={
            "name": rule.name,
            "description": rule.description,
            "max_cases_per_hour": rule.max_cases_per_hour,
        },
        conditions=list(rule.conditions)
        if isinstance(rule.conditions, list)
        else [rule.conditions],
        actions=_actions_by_type(list(rule.actions)),
        result=rule.last_test or None,
    )
    return _page(request, "loop/rules.html", member, "rules", context)


@router.post("/w/{slug}/rules/save")
async def save_rule(
    request: Request, member: RuleManagers, session: SessionDep, _csrf: CsrfChecked
) -> Response:
    """Test the draft ("Test this rule") or save it, as the button says."""
    form = await request.form()
    basics, conditions, actions = parse_rule_form(form)
    rule_id = str(form.get("rule_id") or "")
    rule = (
        rule_service.get_rule(session, member.workspace, int(rule_id))
        if rule_id.isdigit()
        else None
    )
    try:
        if form.get("do") == "test":
            result = rule_service.test_rule(
                session, member.workspace, conditions, actions, limit=basics["max_cases_per_hour"]
            ).as_dict()
            context = _rule_context(
                member,
                session,
                rule=rule,
                draft=basics,
                conditions=conditions or [{"field": "", "op": "eq", "value": ""}],
                actions=_actions_by_type(actions),
                result=result,
            )
            return _page(request, "loop/rules.html", member, "rules", context)
        if rule is None:
            rule = rule_service.create_rule(
                session,
                member.workspace,
                basics["name"],
                conditions,
                actions,
                description=basics["description"],
                max_cases_per_hour=basics["max_cases_per_hour"],
                actor=member.actor,
            )
        else:
            rule_service.update_rule(
                session,
                member.workspace,
                rule.id,
                name=basics["name"],
                conditions=conditions,
                actions=actions,
                description=basics["description"],
                max_cases_per_hour=basics["max_cases_per_hour"],
                actor=member.actor,
            )
    except (InvalidInput, NotFound, Conflict) as exc:
        context = _rule_context(
            member,
            session,
            rule=rule,
            draft=basics,
            conditions=conditions or [{"field": "", "op": "eq", "value": ""}],
            actions=_actions_by_type(actions),
            error=exc.message(_lang(request)),
        )
        return _page(request, "loop/rules.html", member, "rules", context, status_code=exc.status)
    return RedirectResponse(f"/w/{member.workspace.slug}/rules/{rule.id}", status_code=303)


@router.post("/w/{slug}/rules/{rule_id}/activate")
def activate(
    member: RuleManagers,
    session: SessionDep,
    _csrf: CsrfChecked,
    rule_id: int,
    force: Annotated[str, Form()] = "",
) -> Response:
    """Test the rule over the last 30 days, then switch it on or hold it with the reason."""
    rule_service.activate_rule(
        session, member.workspace, rule_id, force=bool(force), actor=member.actor
    )
    return RedirectResponse(f"/w/{member.workspace.slug}/rules/{rule_id}", status_code=303)


@router.post("/w/{slug}/rules/{rule_id}/deactivate")
def deactivate(
    member: RuleManagers, session: SessionDep, _csrf: CsrfChecked, rule_id: int
) -> Response:
    """Switch the rule off."""
    rule_service.deactivate_rule(session, member.workspace, rule_id, actor=member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/rules/{rule_id}", status_code=303)


# --- improvements ---------------------------------------------------------------------------


@router.get("/w/{slug}/improvements")
def show_board(request: Request, member: ImprovementReaders, session: SessionDep) -> Response:
    """The improvements board: idea, planned, in progress, shipped."""
    rows = list_improvements(session, member.workspace)
    columns = {
        status: [(i, n) for i, n in rows if i.status == status] for status in IMPROVEMENT_STATUSES
    }
    context = {
        "columns": columns,
        "departments": list_departments(session, member.workspace),
        "can_manage": member.may("improvements.manage"),
    }
    return _page(request, "loop/improvements.html", member, "improvements", context)


@router.post("/w/{slug}/improvements")
def add_improvement(
    member: ImprovementManagers,
    session: SessionDep,
    _csrf: CsrfChecked,
    title: Annotated[str, Form(max_length=300)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    topic: Annotated[str, Form(max_length=64)] = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add an idea to the board."""
    made = create_improvement(
        session,
        member.workspace,
        title,
        description,
        topic=topic or None,
        department_id=int(department_id) if department_id.isdigit() else None,
        actor=member.actor,
    )
    return RedirectResponse(f"/w/{member.workspace.slug}/improvements/{made.id}", status_code=303)


@router.get("/w/{slug}/improvements/{improvement_id}")
def show_improvement(
    request: Request, member: ImprovementReaders, session: SessionDep, improvement_id: int
) -> Response:
    """An improvement: its voices, similar voices to link, and before/after."""
    improvement = get_improvement(session, member.workspace, improvement_id)
    context = {
        "improvement": improvement,
        "voices": linked_voices(session, member.workspace, improvement.id),
        "suggestions": suggest_voices(session, member.workspace, improvement.id)
        if improvement.status != "shipped"
        else [],
        "effect": improvement_effect(session, member.workspace, improvement.id),
        "statuses": IMPROVEMENT_STATUSES,
        "can_manage": member.may("improvements.manage"),
    }
    return _page(request, "loop/improvement.html", member, "improvements", context)


@router.post("/w/{slug}/improvements/{improvement_id}/status")
def move_improvement(
    member: ImprovementManagers,
    session: SessionDep,
    _csrf: CsrfChecked,
    improvement_id: int,
    status: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Move the improvement; shipping tells its contributors once."""
    change_improvement(
        session,
        member.workspace,
        improvement_id,
        status=status,
        version=version,
        actor=member.actor,
    )
    return RedirectResponse(
        f"/w/{member.workspace.slug}/improvements/{improvement_id}", status_code=303
    )


@router.post("/w/{slug}/improvements/{improvement_id}/links")
def link_improvement(
    member: ImprovementManagers,
    session: SessionDep,
    _csrf: CsrfChecked,
    improvement_id: int,
    feedback_id: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Link the ticked voices."""
    if feedback_id:
        link_voices(session, member.workspace, improvement_id, feedback_id, actor=member.actor)
    return RedirectResponse(
        f"/w/{member.workspace.slug}/improvements/{improvement_id}", status_code=303
    )


# --- praise and metrics ---------------------------------------------------------------------


@router.get("/w/{slug}/praise")
def show_praise(
    request: Request,
    member: PraiseReaders,
    session: SessionDep,
    target: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Voices that praise a staff member, a team, a role or a store."""
    context = {
        "targets": list_praise_targets(session, member.workspace),
        "target": target,
        "items": list_praise(session, member.workspace, target_id=target),
    }
    return _page(request, "loop/praise.html", member, "praise", context)


@router.get("/w/{slug}/loop")
def show_metrics(
    request: Request,
    member: LoopReaders,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=730)] = 90,
) -> Response:
    """How the loop performs."""
    context = {"metrics": loop_metrics(session, member.workspace, days=days), "days": days}
    return _page(request, "loop/metrics.html", member, "loop", context)


# --- admin ----------------------------------------------------------------------------------


def _today(member: Caller) -> dt.date:
    return dt.datetime.now(ZoneInfo(member.workspace.timezone)).date()


def _admin_context(member: Caller, session: SessionDep, **extra: Any) -> dict[str, Any]:
    settings = loop_settings(session, member.workspace)
    calendar = business_calendar(session, member.workspace)
    return {
        "departments": list_departments(session, member.workspace),
        "people": member_names(session, member.workspace),
        "policy": sla_policy(session, member.workspace),
        "calendar_json": json.dumps(settings.calendar or {}, ensure_ascii=False, indent=1),
        "closed_days": calendar.closed_days(_today(member), _today(member) + dt.timedelta(days=60)),
        "root_causes": root_causes(session, member.workspace),
        "targets": list_praise_targets(session, member.workspace),
        "praise_kinds": PRAISE_KINDS,
        "webhooks": list_webhooks(session, member.workspace),
        "deliveries": list_deliveries(session, member.workspace, limit=20),
        "webhook_events": WEBHOOK_EVENTS,
        "new_secret": None,
        "error": None,
        **extra,
    }


@router.get("/w/{slug}/admin/loop")
def show_admin(request: Request, member: CaseManagers, session: SessionDep) -> Response:
    """Departments, SLA, business calendar, root causes, praise targets and webhooks."""
    return _page(
        request, "loop/admin.html", member, "loop-settings", _admin_context(member, session)
    )


@router.post("/w/{slug}/admin/loop")
async def save_admin(
    request: Request, member: CaseManagers, session: SessionDep, _csrf: CsrfChecked
) -> Response:
    """One form per part; `do` says which."""
    form = await request.form()
    action = str(form.get("do") or "")
    secret = None
    try:
        if action == "department":
            lead = str(form.get("lead_id") or "")
            create_department(
                session,
                member.workspace,
                str(form.get("name") or ""),
                lead_id=int(lead) if lead.isdigit() else None,
                email=str(form.get("email") or ""),
                actor=member.actor,
            )
        elif action == "member":
            add_department_member(
                session,
                member.workspace,
                int(str(form.get("department_id"))),
                int(str(form.get("user_id"))),
                actor=member.actor,
            )
        elif action == "sla":
            priorities = {
                str(p): {
                    "first_response_hours": float(str(form.get(f"first_{p}") or 0)),
                    "resolution_hours": float(str(form.get(f"resolve_{p}") or 0)),
                }
                for p in (1, 2, 3, 4)
            }
            update_loop_settings(
                session, member.workspace, sla={"priorities": priorities}, actor=member.actor
            )
        elif action == "calendar":
            try:
                config = json.loads(str(form.get("calendar") or "{}"))
            except json.JSONDecodeError:
                raise InvalidInput(
                    "The calendar settings are not valid JSON.",
                    "営業カレンダーの設定が正しい JSON ではありません。",
                ) from None
            update_loop_settings(session, member.workspace, calendar=config, actor=member.actor)
        elif action == "target":
            create_praise_target(
                session,
                member.workspace,
                str(form.get("name") or ""),
                kind=str(form.get("kind") or "staff"),
                aliases=str(form.get("aliases") or "").replace("、", ",").split(","),
                digest_emails=str(form.get("digest") or "").replace("、", ",").split(","),
                actor=member.actor,
            )
        elif action == "webhook":
            hook = create_webhook(
                session,
                member.workspace,
                str(form.get("name") or ""),
                str(form.get("url") or ""),
                [str(e) for e in form.getlist("events")] or ["rule.matched"],
                actor=member.actor,
            )
            secret = hook.secret
    except (ValueError, TypeError):
        error = InvalidInput(
            "Fill in every field of the form.", "フォームの項目をすべて入力してください。"
        )
        return _page(
            request,
            "loop/admin.html",
            member,
            "loop-settings",
            _admin_context(member, session, error=error.message(_lang(request))),
            422,
        )
    except KizunaError as exc:
        context = _admin_context(member, session, error=exc.message(_lang(request)))
        return _page(request, "loop/admin.html", member, "loop-settings", context, exc.status)
    if secret:
        return _page(
            request,
            "loop/admin.html",
            member,
            "loop-settings",
            _admin_context(member, session, new_secret=secret),
        )
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/loop", status_code=303)
