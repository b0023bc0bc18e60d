"""The e-mail admin page of a workspace: the outbox by state, dead letters with retry.

Shows recipients, subjects, states and the last error (never bodies). Needs mail.manage;
a retry is audited. Sending a test message stays on the command line (`kizuna mail test`),
where the operator sees the server's own answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.audit import record_audit
from kizuna.mail.models import MAIL_STATES
from kizuna.mail.service import list_outbox, outbox_counts, retry_message
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Managers = Annotated[Caller, Depends(page_member("mail.manage"))]


@router.get("/w/{slug}/admin/mail")
def show_outbox(
    request: Request,
    member: Managers,
    session: SessionDep,
    kz: KizunaDep,
    state: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The outbox: counts by state and the newest messages, filtered by state."""
    chosen = state if state in MAIL_STATES else None
    context = {
        "member": member,
        "nav_section": "mail",
        "counts": outbox_counts(session, workspace_id=member.workspace.id),
        "entries": list_outbox(session, workspace_id=member.workspace.id, state=chosen, limit=100),
        "state": chosen,
        "configured": bool(kz.settings.smtp_host),
    }
    return render_page(request, "mail/admin.html", context)


@router.post("/w/{slug}/admin/mail/{message_id}/retry")
def retry(
    member: Managers, session: SessionDep, kz: KizunaDep, _csrf: CsrfChecked, message_id: int
) -> Response:
    """Send a dead or held message again, with a fresh round of attempts."""
    retry_message(session, kz.settings, message_id, workspace_id=member.workspace.id)
    record_audit(session, member.workspace, member.actor, "mail.retry", f"mail:{message_id}")
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/mail", status_code=303)
