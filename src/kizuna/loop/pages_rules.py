"""HTML routes of the rule editor: the rules and their status, one rule with its last test,
"Test this rule" over the last 30 days, save, switch on and off. `parse_rule_form` reads
the editor's rows of conditions and its actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.customers.segments import list_segments
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.loop import rules as rule_service
from kizuna.loop.departments import list_departments
from kizuna.loop.facts import RULE_FIELDS, field_group
from kizuna.loop.pages_layout import page_language, render_loop_page
from kizuna.loop.webhooks import list_webhooks
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member

__all__ = ["RuleManagers", "RuleReaders", "parse_rule_form", "router"]

router = APIRouter(include_in_schema=False)

RuleReaders = Annotated[Caller, Depends(page_member("rules.read"))]
RuleManagers = Annotated[Caller, Depends(page_member("rules.manage"))]

_LIST_OPS = ("in", "not_in", "contains_any", "has_words", "not_has_words")
_TRUE = {"true", "yes", "1", "はい", "on", "y"}


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
    return render_loop_page(request, "loop/rules.html", member, "rules", context)


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
    return render_loop_page(request, "loop/rules.html", member, "rules", context)


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
            return render_loop_page(request, "loop/rules.html", member, "rules", context)
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
            error=exc.message(page_language(request)),
        )
        return render_loop_page(
            request, "loop/rules.html", member, "rules", context, status_code=exc.status
        )
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
