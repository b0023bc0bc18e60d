"""JSON routes of the loop room (under /api/v1): departments, rules, cases, improvements,
praise, loop metrics, webhooks and settings. Routes translate HTTP to the services; an id
of another workspace (or, for agents, another department's case) is a 404 there.

`router` is the one the feature registers. Departments, settings, metrics and webhooks are
here; rules (`api_rules`), cases (`api_cases`), improvements and praise (`api_improvements`)
have their own routers, included below in the order paths are matched; the shared
annotations are in `api_annotations`. Their names are re-exported here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from kizuna.loop import api_cases, api_improvements, api_rules
from kizuna.loop.api_annotations import (
    STALE,
    CaseManager,
    CaseReader,
    CaseStatus,
    CaseWorker,
    Id,
    ImprovementManager,
    ImprovementReader,
    ImprovementStatus,
    LoopReader,
    PraiseKind,
    PraiseReader,
    Priority,
    RefId,
    ReplyKind,
    ReplyVariant,
    RuleManager,
    RuleReader,
    WebhookEvent,
)
from kizuna.loop.api_cases import (
    BulkAssign,
    CaseCreate,
    CaseUpdate,
    CommentCreate,
    Handoff,
    ReplySend,
    get_case,
    get_cases,
    get_reply_draft,
    patch_case,
    post_bulk_assign,
    post_case,
    post_comment,
    post_handoff,
    post_reply,
    viewer_of,
)
from kizuna.loop.api_improvements import (
    ImprovementCreate,
    ImprovementUpdate,
    Links,
    TargetCreate,
    delete_link,
    get_improvements,
    get_one_improvement,
    get_praise,
    get_praise_targets,
    get_suggestions,
    patch_improvement,
    post_improvement,
    post_links,
    post_praise_target,
)
from kizuna.loop.api_rules import (
    Activate,
    LoopRuleCreate,
    LoopRuleUpdate,
    RuleDraft,
    delete_rule,
    get_rule,
    get_rules,
    patch_rule,
    post_activate,
    post_deactivate,
    post_rule,
    post_rule_test,
    post_saved_rule_test,
)
from kizuna.loop.config import loop_settings, root_causes, update_loop_settings
from kizuna.loop.departments import add_department_member, create_department, list_departments
from kizuna.loop.metrics import loop_metrics
from kizuna.loop.webhooks import create_webhook, list_deliveries, list_webhooks
from kizuna.web.deps import SessionDep
from kizuna.web.fields import StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = [
    "STALE",
    "Activate",
    "BulkAssign",
    "CaseCreate",
    "CaseManager",
    "CaseReader",
    "CaseStatus",
    "CaseUpdate",
    "CaseWorker",
    "CommentCreate",
    "Handoff",
    "Id",
    "ImprovementCreate",
    "ImprovementManager",
    "ImprovementReader",
    "ImprovementStatus",
    "ImprovementUpdate",
    "Links",
    "LoopReader",
    "LoopRuleCreate",
    "LoopRuleUpdate",
    "PraiseKind",
    "PraiseReader",
    "Priority",
    "RefId",
    "ReplyKind",
    "ReplySend",
    "ReplyVariant",
    "RuleDraft",
    "RuleManager",
    "RuleReader",
    "TargetCreate",
    "WebhookEvent",
    "delete_link",
    "delete_rule",
    "get_case",
    "get_cases",
    "get_improvements",
    "get_one_improvement",
    "get_praise",
    "get_praise_targets",
    "get_reply_draft",
    "get_rule",
    "get_rules",
    "get_suggestions",
    "patch_case",
    "patch_improvement",
    "patch_rule",
    "post_activate",
    "post_bulk_assign",
    "post_case",
    "post_comment",
    "post_deactivate",
    "post_handoff",
    "post_improvement",
    "post_links",
    "post_praise_target",
    "post_reply",
    "post_rule",
    "post_rule_test",
    "post_saved_rule_test",
    "router",
    "viewer_of",
]

router = APIRouter(route_class=SummaryRoute)


# --- departments and settings ---------------------------------------------------------------


class DepartmentCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    lead_id: RefId | None = None
    email: str | None = Field(None, max_length=320)


class MemberAdd(StrictBody):
    user_id: RefId


@router.get("/loop/departments", tags=["loop"])
def get_departments(caller: CaseReader, session: SessionDep) -> list[dict[str, Any]]:
    """Departments with their lead and members."""
    return [
        {
            "id": row.department.id,
            "name": row.department.name,
            "lead_id": row.department.lead_id,
            "lead": row.lead_name,
            "email": row.department.email,
            "members": [{"user_id": uid, "name": name} for uid, name in row.members],
        }
        for row in list_departments(session, caller.workspace)
    ]


@router.post(
    "/loop/departments",
    status_code=201,
    tags=["loop"],
    responses={409: {"description": "Another department has this name."}},
)
def post_department(
    body: DepartmentCreate, caller: CaseManager, session: SessionDep
) -> dict[str, Any]:
    """Create a department (its lead becomes a member)."""
    made = create_department(
        session,
        caller.workspace,
        body.name,
        lead_id=body.lead_id,
        email=body.email,
        actor=caller.actor,
    )
    return {"id": made.id, "name": made.name, "lead_id": made.lead_id}


@router.post("/loop/departments/{department_id}/members", tags=["loop"])
def post_department_member(
    department_id: Id, body: MemberAdd, caller: CaseManager, session: SessionDep
) -> dict[str, Any]:
    """Add a workspace member to a department."""
    add_department_member(
        session, caller.workspace, department_id, body.user_id, actor=caller.actor
    )
    return {"department_id": department_id, "user_id": body.user_id}


class SettingsUpdate(StrictBody):
    calendar: dict[str, Any] | None = None
    sla: dict[str, Any] | None = None
    root_causes: list[dict[str, Any]] | None = None


@router.get("/loop/settings", tags=["loop"])
def get_settings(caller: CaseReader, session: SessionDep) -> dict[str, Any]:
    """Business calendar, SLA per priority and root causes (defaults where unset)."""
    stored = loop_settings(session, caller.workspace)
    return {
        "calendar": stored.calendar or {},
        "sla": stored.sla or {},
        "root_causes": [r.__dict__ for r in root_causes(session, caller.workspace)],
    }


@router.put("/loop/settings", tags=["loop"])
def put_settings(body: SettingsUpdate, caller: CaseManager, session: SessionDep) -> dict[str, Any]:
    """Replace the given parts of the loop settings."""
    update_loop_settings(
        session,
        caller.workspace,
        calendar=body.calendar,
        sla=body.sla,
        root_causes_list=body.root_causes,
        actor=caller.actor,
    )
    return get_settings(caller, session)


# --- rules, cases, improvements and praise: their own routers, matched in this order ---------

router.include_router(api_rules.router)
router.include_router(api_cases.router)
router.include_router(api_improvements.router)


# --- metrics and webhooks --------------------------------------------------------------------


@router.get("/loop/metrics", tags=["loop"])
def get_loop_metrics(
    caller: LoopReader, session: SessionDep, days: Annotated[int, Query(ge=1, le=730)] = 90
) -> dict[str, Any]:
    """Closed-loop rate, response and resolution times, SLA compliance, backlog, recovery."""
    return loop_metrics(session, caller.workspace, days=days).as_dict()


class WebhookCreate(StrictBody):
    name: str = ""
    url: str = Field(
        max_length=2000,
        pattern=r"^https?://",
        description="https:// (http:// only on a network you trust).",
    )
    events: list[WebhookEvent] = Field(["rule.matched"], min_length=1)


@router.get("/loop/webhooks", tags=["loop"])
def get_webhooks(caller: CaseManager, session: SessionDep) -> list[dict[str, Any]]:
    """Webhook endpoints (secrets are not shown again)."""
    return [
        {"id": h.id, "name": h.name, "url": h.url, "events": h.events, "active": h.active}
        for h in list_webhooks(session, caller.workspace)
    ]


@router.post("/loop/webhooks", status_code=201, tags=["loop"])
def post_webhook(body: WebhookCreate, caller: CaseManager, session: SessionDep) -> dict[str, Any]:
    """Add an endpoint; the answer holds its signing secret, shown this once."""
    hook = create_webhook(
        session, caller.workspace, body.name, body.url, body.events, actor=caller.actor
    )
    return {
        "id": hook.id,
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "secret": hook.secret,
    }


@router.get("/loop/webhooks/{webhook_id}/deliveries", tags=["loop"])
def get_webhook_deliveries(
    webhook_id: Id, caller: CaseManager, session: SessionDep
) -> list[dict[str, Any]]:
    """An endpoint's deliveries, newest first: state, attempts, last status and error."""
    return [
        {
            "id": d.id,
            "event": d.event,
            "state": d.state,
            "attempts": d.attempts,
            "last_status": d.last_status,
            "last_error": d.last_error,
            "created_at": d.created_at.isoformat(),
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        }
        for d in list_deliveries(session, caller.workspace, webhook_id)
    ]
