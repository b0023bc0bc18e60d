"""The jobs admin page of a workspace: the queue by state, failures with retry, schedules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.jobs.admin import list_jobs, list_schedules, retry_jobs, set_schedule_enabled
from kizuna.jobs.queue import job_counts
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("jobs.read"))]
Managers = Annotated[Caller, Depends(page_member("jobs.manage"))]


@router.get("/w/{slug}/admin/jobs")
def show_jobs(request: Request, member: Readers, session: SessionDep) -> Response:
    """Jobs by state, the latest failures and the recurring schedules of the workspace."""
    workspace_id = member.workspace.id
    context = {
        "member": member,
        "nav_section": "jobs",
        "counts": job_counts(session, workspace_id),
        "failures": list_jobs(session, workspace_id, limit=50),
        "schedules": list_schedules(session, workspace_id),
        "can_manage": member.may("jobs.manage"),
    }
    return render_page(request, "jobs/admin.html", context)


@router.post("/w/{slug}/admin/jobs/retry")
def retry(
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    job_id: Annotated[list[int], Form()],
) -> Response:
    """Queue failed or dead jobs again."""
    retry_jobs(session, job_id, workspace_id=member.workspace.id, actor=member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/jobs", status_code=303)


@router.post("/w/{slug}/admin/jobs/schedules/{schedule_id}")
def switch_schedule(
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    schedule_id: int,
    enabled: Annotated[bool, Form()],
) -> Response:
    """Switch a recurring job on or off."""
    set_schedule_enabled(
        session, schedule_id, enabled, workspace_id=member.workspace.id, actor=member.actor
    )
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/jobs", status_code=303)
