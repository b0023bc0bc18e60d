"""JSON routes of cases (under /api/v1, included by `kizuna.loop.api.router`): the list,
open by hand, bulk assign, one case, change, comment, hand off, reply draft and reply. A
case an agent's departments do not hold is a 404, as one of another workspace."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from kizuna.loop import case_list, case_notes
from kizuna.loop import cases as case_service
from kizuna.loop.api_annotations import (
    STALE,
    CaseReader,
    CaseStatus,
    CaseWorker,
    Id,
    Priority,
    RefId,
    ReplyKind,
    ReplyVariant,
)
from kizuna.loop.case_list import CaseFilters
from kizuna.loop.cases import CaseViewer
from kizuna.loop.presenters import case_detail, case_dict
from kizuna.loop.replies import case_draft, send_reply
from kizuna.web.deps import Caller, KizunaDep, SessionDep
from kizuna.web.fields import StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = [
    "BulkAssign",
    "CaseCreate",
    "CaseUpdate",
    "CommentCreate",
    "Handoff",
    "ReplySend",
    "get_case",
    "get_cases",
    "get_reply_draft",
    "patch_case",
    "post_bulk_assign",
    "post_case",
    "post_comment",
    "post_handoff",
    "post_reply",
    "router",
    "viewer_of",
]

router = APIRouter(route_class=SummaryRoute)


def viewer_of(caller: Caller) -> CaseViewer:
    return CaseViewer(
        caller.user.id if caller.user else None, caller.may("cases.read_all"), caller.actor
    )


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
