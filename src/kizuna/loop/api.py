"""JSON routes of the loop room (under /api/v1): departments, rules, cases, improvements,
praise, loop metrics, webhooks and settings. Routes translate HTTP to the services; an id
of another workspace (or, for agents, another department's case) is a 404 there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from kizuna.loop import case_list, case_notes
from kizuna.loop import cases as case_service
from kizuna.loop import rules as rule_service
from kizuna.loop.case_list import CaseFilters
from kizuna.loop.cases import CaseViewer
from kizuna.loop.config import loop_settings, root_causes, update_loop_settings
from kizuna.loop.departments import add_department_member, create_department, list_departments
from kizuna.loop.improvements import (
    change_improvement,
    create_improvement,
    get_improvement,
    improvement_effect,
    link_voices,
    linked_voices,
    list_improvements,
    suggest_voices,
    unlink_voice,
)
from kizuna.loop.metrics import loop_metrics
from kizuna.loop.praise import create_praise_target, list_praise, list_praise_targets
from kizuna.loop.presenters import case_detail, case_dict, improvement_dict, rule_dict
from kizuna.loop.replies import case_draft, send_reply
from kizuna.loop.webhooks import create_webhook, list_deliveries, list_webhooks
from kizuna.web.deps import Caller, KizunaDep, SessionDep, api_caller
from kizuna.web.fields import StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute)

CaseReader = Annotated[Caller, Depends(api_caller("cases.read"))]
CaseWorker = Annotated[Caller, Depends(api_caller("cases.work"))]
CaseManager = Annotated[Caller, Depends(api_caller("cases.manage"))]
RuleReader = Annotated[Caller, Depends(api_caller("rules.read"))]
RuleManager = Annotated[Caller, Depends(api_caller("rules.manage"))]
ImprovementReader = Annotated[Caller, Depends(api_caller("improvements.read"))]
ImprovementManager = Annotated[Caller, Depends(api_caller("improvements.manage"))]
PraiseReader = Annotated[Caller, Depends(api_caller("praise.read"))]
LoopReader = Annotated[Caller, Depends(api_caller("loop.read"))]

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
RefId = Annotated[int, Field(ge=1, le=2**63 - 1)]
# The services' vocabularies (kizuna.loop.models and friends), as the document shows them.
CaseStatus = Literal["new", "assigned", "in_progress", "waiting", "resolved", "closed", "reopened"]
Priority = Literal[1, 2, 3, 4]
ImprovementStatus = Literal["idea", "planned", "in_progress", "shipped"]
PraiseKind = Literal["staff", "team", "role", "store"]
WebhookEvent = Literal["rule.matched", "case.opened", "case.changed", "improvement.shipped"]
ReplyKind = Literal["apology", "thanks", "follow_up"]
ReplyVariant = Literal["teinei", "keigo", "en"]
STALE: dict[int | str, dict[str, Any]] = {
    409: {"description": "Changed by someone else since `version`: reload and apply again."}
}


def viewer_of(caller: Caller) -> CaseViewer:
    return CaseViewer(
        caller.user.id if caller.user else None, caller.may("cases.read_all"), caller.actor
    )


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


# --- rules ----------------------------------------------------------------------------------


class LoopRuleCreate(StrictBody):
    name: str
    conditions: Any
    actions: list[dict[str, Any]]
    description: str = ""
    max_cases_per_hour: int = 20


class LoopRuleUpdate(StrictBody):
    version: int | None = None
    name: str | None = None
    conditions: Any = None
    actions: list[dict[str, Any]] | None = None
    description: str | None = None
    max_cases_per_hour: int | None = None


class RuleDraft(StrictBody):
    conditions: Any
    actions: list[dict[str, Any]] = Field(default_factory=list)
    max_cases_per_hour: int = 20


class Activate(StrictBody):
    force: bool = False


@router.get("/loop/rules", tags=["loop"])
def get_rules(caller: RuleReader, session: SessionDep) -> list[dict[str, Any]]:
    """Every rule with its status and last test."""
    return [rule_dict(r) for r in rule_service.list_rules(session, caller.workspace)]


@router.post("/loop/rules", status_code=201, tags=["loop"])
def post_rule(body: LoopRuleCreate, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Create a rule (off until activated; refused when it can never match)."""
    rule = rule_service.create_rule(
        session,
        caller.workspace,
        body.name,
        body.conditions,
        body.actions,
        description=body.description,
        max_cases_per_hour=body.max_cases_per_hour,
        actor=caller.actor,
    )
    return rule_dict(rule)


@router.post("/loop/rules/test", tags=["loop"])
def post_rule_test(body: RuleDraft, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """What these conditions would have matched over the last 30 days."""
    return rule_service.test_rule(
        session, caller.workspace, body.conditions, body.actions, limit=body.max_cases_per_hour
    ).as_dict()


@router.get("/loop/rules/{rule_id:int}", tags=["loop"])
def get_rule(rule_id: Id, caller: RuleReader, session: SessionDep) -> dict[str, Any]:
    """One rule."""
    return rule_dict(rule_service.get_rule(session, caller.workspace, rule_id))


@router.patch("/loop/rules/{rule_id:int}", tags=["loop"], responses=STALE)
def patch_rule(
    rule_id: Id, body: LoopRuleUpdate, caller: RuleManager, session: SessionDep
) -> dict[str, Any]:
    """Change a rule (an active one goes back to draft until switched on again)."""
    rule = rule_service.update_rule(
        session,
        caller.workspace,
        rule_id,
        version=body.version,
        name=body.name,
        conditions=body.conditions,
        actions=body.actions,
        description=body.description,
        max_cases_per_hour=body.max_cases_per_hour,
        actor=caller.actor,
    )
    return rule_dict(rule)


@router.delete("/loop/rules/{rule_id:int}", status_code=204, tags=["loop"])
def delete_rule(rule_id: Id, caller: RuleManager, session: SessionDep) -> None:
    """Delete a rule (its cases stay)."""
    rule_service.delete_rule(session, caller.workspace, rule_id, actor=caller.actor)


@router.post("/loop/rules/{rule_id}/test", tags=["loop"])
def post_saved_rule_test(rule_id: Id, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Test a saved rule over the last 30 days."""
    rule = rule_service.get_rule(session, caller.workspace, rule_id)
    return rule_service.test_rule(
        session, caller.workspace, rule.conditions, rule.actions, limit=rule.max_cases_per_hour
    ).as_dict()


@router.post("/loop/rules/{rule_id}/activate", tags=["loop"])
def post_activate(
    rule_id: Id, body: Activate, caller: RuleManager, session: SessionDep
) -> dict[str, Any]:
    """Test, then switch on (or hold with the reason: rate, no_data)."""
    rule, result = rule_service.activate_rule(
        session, caller.workspace, rule_id, force=body.force, actor=caller.actor
    )
    return {**rule_dict(rule), "test": result.as_dict()}


@router.post("/loop/rules/{rule_id}/deactivate", tags=["loop"])
def post_deactivate(rule_id: Id, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Switch a rule off."""
    return rule_dict(
        rule_service.deactivate_rule(session, caller.workspace, rule_id, actor=caller.actor)
    )


# --- cases ----------------------------------------------------------------------------------


class CaseCreate(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    department_id: RefId | None = None
    priority: Priority = Field(3, description="1 urgent, 2 high, 3 normal, 4 low.")
    feedback_id: RefId | None = None
    customer_id: RefId | None = None


class CaseUpdate(StrictBody):
    version: int = Field(description="The version you last saw; a newer one is a 409 conflict.")
    status: CaseStatus | None = None
    priority: Priority | None = None
    owner_id: RefId | None = None
    unassign: bool = False
    root_cause: str | None = Field(None, description="A code of the loop settings' root causes.")
    resolution_note: str | None = None
    tags: list[str] | None = None


class CommentCreate(StrictBody):
    body: str = Field(min_length=1, max_length=5000)


class Handoff(StrictBody):
    department_id: RefId
    note: str = Field(min_length=1, description="For the department that takes the case.")
    version: int


class ReplySend(StrictBody):
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=10_000)
    language: Literal["ja", "en"] = "ja"


class BulkAssign(StrictBody):
    case_ids: list[RefId] = Field(min_length=1, max_length=500)
    owner_id: RefId


@router.get("/cases", tags=["cases"])
def get_cases(
    caller: CaseReader,
    session: SessionDep,
    status: Annotated[
        CaseStatus | Literal["open"] | None, Query(description="A status, or open.")
    ] = None,
    department_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    owner: Annotated[
        str | None, Query(pattern=r"^([0-9]{1,18}|me|none)$", description="A user id, me or none.")
    ] = None,
    breached: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Cases you may see, most urgent first, a page at a time."""
    filters = CaseFilters(status, department_id, priority, owner, breached, q)
    found = case_list.list_cases(
        session, caller.workspace, viewer_of(caller), filters, page=page, page_size=page_size
    )
    return {
        "items": [case_dict(c) for c in found.items],
        "total": found.total,
        "page": found.page,
        "page_size": found.page_size,
    }


@router.post("/cases", status_code=201, tags=["cases"])
def post_case(
    body: CaseCreate, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Open a case by hand (for a voice, or about a customer)."""
    case = case_service.open_case(
        session,
        caller.workspace,
        title=body.title,
        department_id=body.department_id,
        priority=body.priority,
        feedback_id=body.feedback_id,
        customer_id=body.customer_id,
        actor=caller.actor,
        settings=kz.settings,
    )
    return case_dict(case)


@router.post("/cases/assign", tags=["cases"])
def post_bulk_assign(
    body: BulkAssign, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Give many cases to one person; cases you cannot see or that are closed are skipped."""
    result = case_list.assign_cases(
        session,
        caller.workspace,
        body.case_ids,
        body.owner_id,
        viewer=viewer_of(caller),
        settings=kz.settings,
    )
    return {"assigned": result.assigned, "skipped": result.skipped}


@router.get("/cases/{case_id:int}", tags=["cases"])
def get_case(case_id: Id, caller: CaseReader, session: SessionDep) -> dict[str, Any]:
    """A case with its voice, SLA clocks and history."""
    return case_detail(session, caller.workspace, case_id, viewer_of(caller))


@router.patch("/cases/{case_id:int}", tags=["cases"], responses=STALE)
def patch_case(
    case_id: Id, body: CaseUpdate, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Change status, priority, owner, tags or closing notes (409 on a stale version)."""
    case = case_service.change_case(
        session,
        caller.workspace,
        case_id,
        viewer=viewer_of(caller),
        version=body.version,
        status=body.status,
        priority=body.priority,
        owner_id=body.owner_id,
        unassign=body.unassign,
        root_cause=body.root_cause,
        resolution_note=body.resolution_note,
        tags=body.tags,
        settings=kz.settings,
    )
    return case_dict(case)


@router.post("/cases/{case_id}/comments", status_code=201, tags=["cases"])
def post_comment(
    case_id: Id, body: CommentCreate, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Comment on a case; @mentioned members are told by e-mail."""
    event = case_notes.add_comment(
        session,
        caller.workspace,
        case_id,
        body.body,
        viewer=viewer_of(caller),
        settings=kz.settings,
    )
    return {"id": event.id, "mentions": event.details.get("mentions", [])}


@router.post("/cases/{case_id}/handoff", tags=["cases"], responses=STALE)
def post_handoff(
    case_id: Id, body: Handoff, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Hand the case to another department with a note."""
    case = case_notes.hand_off(
        session,
        caller.workspace,
        case_id,
        body.department_id,
        body.note,
        viewer=viewer_of(caller),
        version=body.version,
        settings=kz.settings,
    )
    return case_dict(case)


@router.get("/cases/{case_id}/reply-draft", tags=["cases"])
def get_reply_draft(
    case_id: Id,
    caller: CaseReader,
    session: SessionDep,
    kind: ReplyKind = "apology",
    variant: ReplyVariant = "teinei",
) -> dict[str, Any]:
    """A follow-up reply drafted from the templates, with the customer's name and words."""
    draft = case_draft(session, caller.workspace, case_id, kind, variant, viewer_of(caller))
    return draft.__dict__


@router.post("/cases/{case_id}/reply", tags=["cases"])
def post_reply(
    case_id: Id, body: ReplySend, caller: CaseWorker, kz: KizunaDep, session: SessionDep
) -> dict[str, Any]:
    """Send a reply to the customer through the outbox (recorded on their timeline)."""
    message_id = send_reply(
        session,
        kz.settings,
        caller.workspace,
        case_id,
        subject=body.subject,
        body=body.body,
        language=body.language,
        viewer=viewer_of(caller),
    )
    return {"message_id": message_id}


# --- improvements -----------------------------------------------------------------------------


class ImprovementCreate(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    department_id: RefId | None = None
    topic: str | None = None
    public: bool = True


class ImprovementUpdate(StrictBody):
    version: int | None = None
    status: ImprovementStatus | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    department_id: RefId | None = None
    topic: str | None = None
    public: bool | None = None


class Links(StrictBody):
    feedback_ids: list[RefId] = Field(min_length=1, max_length=10_000)


@router.get("/improvements", tags=["improvements"])
def get_improvements(
    caller: ImprovementReader, session: SessionDep, status: ImprovementStatus | None = None
) -> list[dict[str, Any]]:
    """Improvements with how many voices asked for each."""
    return [improvement_dict(i, n) for i, n in list_improvements(session, caller.workspace, status)]


@router.post("/improvements", status_code=201, tags=["improvements"])
def post_improvement(
    body: ImprovementCreate, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Create an improvement (as an idea)."""
    made = create_improvement(
        session,
        caller.workspace,
        body.title,
        body.description,
        department_id=body.department_id,
        topic=body.topic,
        public=body.public,
        actor=caller.actor,
    )
    return improvement_dict(made, 0)


@router.get("/improvements/{improvement_id}", tags=["improvements"])
def get_one_improvement(
    improvement_id: Id, caller: ImprovementReader, session: SessionDep
) -> dict[str, Any]:
    """An improvement, its voices and its before/after."""
    improvement = get_improvement(session, caller.workspace, improvement_id)
    voices = linked_voices(session, caller.workspace, improvement.id)
    effect = improvement_effect(session, caller.workspace, improvement.id)
    return {
        **improvement_dict(improvement, len(voices)),
        "voices": [{**v.__dict__, "received_at": v.received_at.isoformat()} for v in voices],
        "effect": effect.__dict__,
    }


@router.patch("/improvements/{improvement_id}", tags=["improvements"], responses=STALE)
def patch_improvement(
    improvement_id: Id, body: ImprovementUpdate, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Edit or move an improvement; shipped tells its contributors once."""
    changed = change_improvement(
        session,
        caller.workspace,
        improvement_id,
        version=body.version,
        status=body.status,
        title=body.title,
        description=body.description,
        department_id=body.department_id,
        topic=body.topic,
        public=body.public,
        actor=caller.actor,
    )
    return improvement_dict(changed, len(linked_voices(session, caller.workspace, changed.id)))


@router.post("/improvements/{improvement_id}/links", tags=["improvements"])
def post_links(
    improvement_id: Id, body: Links, caller: ImprovementManager, session: SessionDep
) -> dict[str, Any]:
    """Link voices to an improvement."""
    added = link_voices(
        session, caller.workspace, improvement_id, body.feedback_ids, actor=caller.actor
    )
    return {"added": added}


@router.delete(
    "/improvements/{improvement_id}/links/{feedback_id}", status_code=204, tags=["improvements"]
)
def delete_link(
    improvement_id: Id, feedback_id: Id, caller: ImprovementManager, session: SessionDep
) -> None:
    """Unlink a voice."""
    unlink_voice(session, caller.workspace, improvement_id, feedback_id, actor=caller.actor)


@router.get("/improvements/{improvement_id}/suggestions", tags=["improvements"])
def get_suggestions(
    improvement_id: Id, caller: ImprovementReader, session: SessionDep
) -> list[dict[str, Any]]:
    """Voices like this improvement (same topic, similar words), with quotes."""
    return [
        {**s.__dict__, "received_at": s.received_at.isoformat()}
        for s in suggest_voices(session, caller.workspace, improvement_id)
    ]


# --- praise, metrics, webhooks ---------------------------------------------------------------


class TargetCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    kind: PraiseKind = "staff"
    aliases: list[str] = Field(default_factory=list)
    department_id: RefId | None = None
    digest_emails: list[str] = Field(default_factory=list)


@router.get("/praise", tags=["loop"])
def get_praise(
    caller: PraiseReader,
    session: SessionDep,
    target_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The praise feed, newest first."""
    return [
        {
            "target_id": p.target.id,
            "target": p.target.name,
            "kind": p.target.kind,
            "feedback_id": p.feedback_id,
            "text": p.text,
            "channel": p.channel,
            "received_at": p.received_at.isoformat(),
        }
        for p in list_praise(session, caller.workspace, target_id=target_id, limit=limit)
    ]


@router.get("/praise/targets", tags=["loop"])
def get_praise_targets(caller: PraiseReader, session: SessionDep) -> list[dict[str, Any]]:
    """Staff, teams, roles and stores that voices may praise."""
    return [
        {
            "id": t.id,
            "name": t.name,
            "kind": t.kind,
            "aliases": t.aliases,
            "department_id": t.department_id,
        }
        for t in list_praise_targets(session, caller.workspace)
    ]


@router.post("/praise/targets", status_code=201, tags=["loop"])
def post_praise_target(
    body: TargetCreate, caller: CaseManager, session: SessionDep
) -> dict[str, Any]:
    """Add a praise target (with the names customers use, and digest addresses)."""
    target = create_praise_target(
        session,
        caller.workspace,
        body.name,
        kind=body.kind,
        aliases=body.aliases,
        department_id=body.department_id,
        digest_emails=body.digest_emails,
        actor=caller.actor,
    )
    return {"id": target.id, "name": target.name}


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


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
