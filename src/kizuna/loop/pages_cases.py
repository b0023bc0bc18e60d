"""HTML routes of cases: the inbox (filters, saved views, bulk assign, paging, keyboard)
and the case page (voice, context card, SLA clocks, history, comment, hand off, reply,
status, close). Every POST carries the CSRF token; a change made on an old version of a
case answers 409 with the case as it is now and what to do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.errors import Conflict, InvalidInput, KizunaError
from kizuna.loop import case_list, case_notes
from kizuna.loop import cases as case_service
from kizuna.loop.case_list import CaseFilters
from kizuna.loop.cases import CaseViewer
from kizuna.loop.config import root_causes
from kizuna.loop.departments import list_departments, member_names
from kizuna.loop.pages_layout import page_language, render_loop_page
from kizuna.loop.presenters import case_view
from kizuna.loop.replies import REPLY_KINDS, REPLY_VARIANTS, case_draft, send_reply
from kizuna.loop.views import delete_view, list_views, save_view
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member

__all__ = ["router", "viewer_of"]

router = APIRouter(include_in_schema=False)

CaseReaders = Annotated[Caller, Depends(page_member("cases.read"))]
CaseWorkers = Annotated[Caller, Depends(page_member("cases.work"))]
PAGE_SIZE = 50


def viewer_of(member: Caller) -> CaseViewer:
    return CaseViewer(
        member.user.id if member.user else None, member.may("cases.read_all"), member.actor
    )


def _page(
    request: Request, name: str, member: Caller, context: dict[str, Any], status_code: int = 200
) -> Response:
    return render_loop_page(request, name, member, "cases", context, status_code)


@router.get("/w/{slug}/cases")
def show_inbox(
    request: Request,
    member: CaseReaders,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "open",
    department_id: Annotated[str, Query(max_length=20)] = "",
    priority: Annotated[str, Query(max_length=2)] = "",
    owner: Annotated[str, Query(max_length=20)] = "",
    breached: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    rule_id: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    notice: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The case inbox: most urgent first, filtered, a page at a time."""
    filters = CaseFilters.from_mapping(
        {
            "status": status,
            "department_id": department_id,
            "priority": priority,
            "owner": owner,
            "breached": breached,
            "q": q,
            "rule_id": rule_id,
        }
    )
    viewer = viewer_of(member)
    found = case_list.list_cases(
        session, member.workspace, viewer, filters, page=page, page_size=PAGE_SIZE
    )
    departments = list_departments(session, member.workspace)
    query = {k: v for k, v in filters.as_dict().items()}
    context = {
        "page": found,
        "filters": filters,
        "query": query,
        "departments": departments,
        "department_names": {d.department.id: d.department.name for d in departments},
        "people": member_names(session, member.workspace),
        "views": list_views(session, member.workspace, viewer.user_id),
        "can_work": member.may("cases.work"),
        "notice": notice,
    }
    return _page(request, "loop/cases.html", member, context)


@router.post("/w/{slug}/cases/views")
async def save_inbox_view(
    request: Request,
    member: CaseWorkers,
    session: SessionDep,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the inbox's current filters under a name."""
    form = await request.form()
    filters = CaseFilters.from_mapping({k: str(v) for k, v in form.items()})
    save_view(session, member.workspace, viewer_of(member).user_id, name, filters)
    return RedirectResponse(f"/w/{member.workspace.slug}/cases?notice=saved", status_code=303)


@router.post("/w/{slug}/cases/views/{view_id}/delete")
def delete_inbox_view(
    member: CaseWorkers, session: SessionDep, _csrf: CsrfChecked, view_id: int
) -> Response:
    """Delete one of your saved views."""
    delete_view(session, member.workspace, viewer_of(member).user_id, view_id)
    return RedirectResponse(f"/w/{member.workspace.slug}/cases", status_code=303)


@router.post("/w/{slug}/cases/assign")
def bulk_assign(
    member: CaseWorkers,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    owner_id: Annotated[int | None, Form()] = None,
    case_id: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Give the ticked cases to one person."""
    if owner_id is None or not case_id:
        raise InvalidInput(
            "Tick the cases and choose the person to give them to.",
            "ケースにチェックを入れ、担当者を選んでください。",
        )
    case_list.assign_cases(
        session, member.workspace, case_id, owner_id, viewer=viewer_of(member), settings=kz.settings
    )
    return RedirectResponse(f"/w/{member.workspace.slug}/cases?notice=assigned", status_code=303)


def _case_context(
    request: Request, member: Caller, session: SessionDep, case_id: int, **extra: Any
) -> dict[str, Any]:
    view = case_view(session, member.workspace, case_id, viewer_of(member))
    kind = extra.pop("kind", "apology")
    variant = extra.pop("variant", "teinei")
    draft = None
    if member.may("cases.work") and view.customer is not None and view.customer.email:
        draft = case_draft(session, member.workspace, case_id, kind, variant, viewer_of(member))
    return {
        "view": view,
        "case": view.case,
        "departments": list_departments(session, member.workspace),
        "people": member_names(session, member.workspace),
        "root_causes": root_causes(session, member.workspace),
        "reply_kinds": REPLY_KINDS,
        "reply_variants": REPLY_VARIANTS,
        "kind": kind,
        "variant": variant,
        "draft": draft,
        "can_work": member.may("cases.work"),
        "error": None,
        **extra,
    }


@router.get("/w/{slug}/cases/{case_id}")
def show_case(
    request: Request,
    member: CaseReaders,
    session: SessionDep,
    case_id: int,
    kind: Annotated[str, Query(max_length=20)] = "apology",
    variant: Annotated[str, Query(max_length=10)] = "teinei",
) -> Response:
    """One case: the voice and the customer, SLA clocks, history and what to do next."""
    kind = kind if kind in REPLY_KINDS else "apology"
    variant = variant if variant in REPLY_VARIANTS else "teinei"
    context = _case_context(request, member, session, case_id, kind=kind, variant=variant)
    return _page(request, "loop/case.html", member, context)


def _back(member: Caller, case_id: int) -> Response:
    return RedirectResponse(f"/w/{member.workspace.slug}/cases/{case_id}", status_code=303)


def _failed(
    request: Request, member: Caller, session: SessionDep, case_id: int, exc: KizunaError
) -> Response:
    # Nothing was written: the services check everything before their first write.
    context = _case_context(
        request, member, session, case_id, error=exc.message(page_language(request))
    )
    return _page(request, "loop/case.html", member, context, status_code=exc.status)


@router.post("/w/{slug}/cases/{case_id}/update")
def update_case(
    request: Request,
    member: CaseWorkers,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    case_id: int,
    version: Annotated[int | None, Form()] = None,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    owner_id: Annotated[str, Form(max_length=20)] = "",
    root_cause: Annotated[str, Form(max_length=64)] = "",
    resolution_note: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    """Save a change of status, priority, owner or the closing notes."""
    try:
        case_service.change_case(
            session,
            member.workspace,
            case_id,
            viewer=viewer_of(member),
            version=version,
            status=status or None,
            priority=int(priority) if priority.isdigit() else None,
            owner_id=int(owner_id) if owner_id.isdigit() else None,
            unassign=owner_id == "none",
            root_cause=root_cause or None,
            resolution_note=resolution_note,
            settings=kz.settings,
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, member, session, case_id, exc)
    return _back(member, case_id)


@router.post("/w/{slug}/cases/{case_id}/comment")
def comment_case(
    request: Request,
    member: CaseWorkers,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    case_id: int,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Add a comment (@name tells that member)."""
    try:
        case_notes.add_comment(
            session, member.workspace, case_id, body, viewer=viewer_of(member), settings=kz.settings
        )
    except InvalidInput as exc:
        return _failed(request, member, session, case_id, exc)
    return _back(member, case_id)


@router.post("/w/{slug}/cases/{case_id}/handoff")
def handoff_case(
    request: Request,
    member: CaseWorkers,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    case_id: int,
    version: Annotated[int | None, Form()] = None,
    department_id: Annotated[int | None, Form()] = None,
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Hand the case to another department with a note."""
    try:
        if department_id is None:
            raise InvalidInput(
                "Choose the department to hand the case to.", "引き継ぎ先の部署を選んでください。"
            )
        case_notes.hand_off(
            session,
            member.workspace,
            case_id,
            department_id,
            note,
            viewer=viewer_of(member),
            version=version,
            settings=kz.settings,
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, member, session, case_id, exc)
    return _back(member, case_id)


@router.post("/w/{slug}/cases/{case_id}/reply")
def reply_case(
    request: Request,
    member: CaseWorkers,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    case_id: int,
    subject: Annotated[str, Form(max_length=300)] = "",
    body: Annotated[str, Form(max_length=10000)] = "",
    language: Annotated[str, Form(max_length=2)] = "ja",
) -> Response:
    """Send the (edited) reply to the customer through the outbox."""
    try:
        send_reply(
            session,
            kz.settings,
            member.workspace,
            case_id,
            subject=subject,
            body=body,
            language=language,
            viewer=viewer_of(member),
        )
    except InvalidInput as exc:
        return _failed(request, member, session, case_id, exc)
    return _back(member, case_id)
