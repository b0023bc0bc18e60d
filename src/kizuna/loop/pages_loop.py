"""HTML routes of the loop beyond cases: the improvements board and page, the praise feed
and loop metrics. The rule editor (`pages_rules`) and the admin page for departments, SLA,
business calendar, root causes, praise targets and webhooks (`pages_admin`) have their own
routers, registered by the feature; their names are re-exported here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.loop.departments import list_departments
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
from kizuna.loop.pages_admin import CaseManagers, save_admin, show_admin
from kizuna.loop.pages_layout import render_loop_page
from kizuna.loop.pages_rules import (
    RuleManagers,
    RuleReaders,
    activate,
    deactivate,
    parse_rule_form,
    save_rule,
    show_rule,
    show_rules,
)
from kizuna.loop.praise import list_praise, list_praise_targets
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member

__all__ = [
    "CaseManagers",
    "RuleManagers",
    "RuleReaders",
    "activate",
    "deactivate",
    "parse_rule_form",
    "router",
    "save_admin",
    "save_rule",
    "show_admin",
    "show_rule",
    "show_rules",
]

router = APIRouter(include_in_schema=False)

ImprovementReaders = Annotated[Caller, Depends(page_member("improvements.read"))]
ImprovementManagers = Annotated[Caller, Depends(page_member("improvements.manage"))]
PraiseReaders = Annotated[Caller, Depends(page_member("praise.read"))]
LoopReaders = Annotated[Caller, Depends(page_member("loop.read"))]


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
    return render_loop_page(request, "loop/improvements.html", member, "improvements", context)


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
    return render_loop_page(request, "loop/improvement.html", member, "improvements", context)


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
    return render_loop_page(request, "loop/praise.html", member, "praise", context)


@router.get("/w/{slug}/loop")
def show_metrics(
    request: Request,
    member: LoopReaders,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=730)] = 90,
) -> Response:
    """How the loop performs."""
    context = {"metrics": loop_metrics(session, member.workspace, days=days), "days": days}
    return render_loop_page(request, "loop/metrics.html", member, "loop", context)
