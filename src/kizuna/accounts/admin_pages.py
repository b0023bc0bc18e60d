"""Admin pages of a workspace: members and invitations, API keys, the audit log.

Each route checks its permission (members.manage, apikeys.manage, audit.read); every form
posts with the session's CSRF token and every change goes through the accounts services,
which audit it. A new API key or invitation link is shown once, on the page that made it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.audit import list_audit
from kizuna.accounts.invitations import invitation_link, send_invitation
from kizuna.accounts.keys import create_api_key, list_api_keys, revoke_api_key
from kizuna.accounts.members import (
    change_role,
    invite_member,
    list_invitations,
    list_members,
    remove_member,
    revoke_invitation,
)
from kizuna.accounts.models import ROLES
from kizuna.accounts.permissions import permission_table
from kizuna.errors import InvalidInput, KizunaError
from kizuna.web.deps import Caller, CsrfChecked, KizunaDep, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Admins = Annotated[Caller, Depends(page_member("members.manage"))]
KeyAdmins = Annotated[Caller, Depends(page_member("apikeys.manage"))]
Auditors = Annotated[Caller, Depends(page_member("audit.read"))]


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _members_page(
    request: Request,
    session: SessionDep,
    member: Caller,
    kz: KizunaDep,
    *,
    link: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "member": member,
        "nav_section": "members",
        "members": list_members(session, member.workspace),
        "invitations": list_invitations(session, member.workspace),
        "roles": [r for r in ROLES if r != "owner" or member.role == "owner"],
        "invitation_link": link,
        "error": error,
        "permission_table": permission_table(),
        "all_roles": ROLES,
    }
    return render_page(request, "accounts/members.html", context, status_code=status)


@router.get("/w/{slug}/admin/members")
def show_members(request: Request, member: Admins, session: SessionDep, kz: KizunaDep) -> Response:
    """Members with their roles, open invitations, and the permission table."""
    return _members_page(request, session, member, kz)


@router.post("/w/{slug}/admin/members/invite")
def invite(
    request: Request,
    member: Admins,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    """Invite someone by e-mail; the link is shown once (and e-mailed when mail is set up)."""
    try:
        with session.begin_nested():
            made = invite_member(
                session,
                member.workspace,
                email,
                role,
                actor=member.actor,
                actor_role=member.role,
                days=kz.settings.invitation_days,
            )
    except KizunaError as exc:
        if exc.status >= 500:
            raise
        return _members_page(
            request, session, member, kz, error=exc.message(_lang(request)), status=exc.status
        )
    send_invitation(kz, session, member.workspace, made, _lang(request))
    link = invitation_link(kz, made)
    return _members_page(request, session, member, kz, link=link)


@router.post("/w/{slug}/admin/members/{user_id}/role")
def set_role(
    request: Request,
    member: Admins,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    user_id: int,
    role: Annotated[str, Form()],
) -> Response:
    """Change a member's role."""
    try:
        with session.begin_nested():
            change_role(
                session, member.workspace, user_id, role, actor=member.actor, actor_role=member.role
            )
    except KizunaError as exc:
        if exc.status >= 500:
            raise
        return _members_page(
            request, session, member, kz, error=exc.message(_lang(request)), status=exc.status
        )
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/members", status_code=303)


@router.post("/w/{slug}/admin/members/{user_id}/remove")
def remove(
    request: Request,
    member: Admins,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    user_id: int,
) -> Response:
    """Remove a member from the workspace (their account stays)."""
    try:
        with session.begin_nested():
            remove_member(
                session, member.workspace, user_id, actor=member.actor, actor_role=member.role
            )
    except KizunaError as exc:
        if exc.status >= 500:
            raise
        return _members_page(
            request, session, member, kz, error=exc.message(_lang(request)), status=exc.status
        )
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/members", status_code=303)


@router.post("/w/{slug}/admin/invitations/{invitation_id}/revoke")
def withdraw_invitation(
    member: Admins, session: SessionDep, _csrf: CsrfChecked, invitation_id: int
) -> Response:
    """Withdraw an invitation that was not used yet."""
    revoke_invitation(session, member.workspace, invitation_id, member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/members", status_code=303)


def _keys_page(
    request: Request,
    session: SessionDep,
    member: Caller,
    *,
    new_key: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "member": member,
        "nav_section": "apikeys",
        "keys": list_api_keys(session, member.workspace),
        "roles": [r for r in ROLES if r != "owner"],
        "scopes": sorted(permission_table()),
        "new_key": new_key,
        "error": error,
        "now": dt.datetime.now(dt.UTC),
    }
    return render_page(request, "accounts/apikeys.html", context, status_code=status)


@router.get("/w/{slug}/admin/apikeys")
def show_api_keys(request: Request, member: KeyAdmins, session: SessionDep) -> Response:
    """The workspace's API keys: role, scopes, expiry, last use; create and revoke."""
    return _keys_page(request, session, member)


@router.post("/w/{slug}/admin/apikeys")
def add_api_key(
    request: Request,
    member: KeyAdmins,
    session: SessionDep,
    kz: KizunaDep,
    _csrf: CsrfChecked,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
    scopes: Annotated[list[str] | None, Form()] = None,
    days: Annotated[int, Form(ge=0, le=3650)] = 365,
) -> Response:
    """Create a key; it is shown once on the page that follows."""
    try:
        if role == "owner":
            raise InvalidInput(
                "An API key cannot be an owner.", "API キーをオーナーにはできません。"
            )
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
        with session.begin_nested():
            key = create_api_key(
                session,
                member.workspace,
                name or "key",
                role,
                scopes=scopes or [],
                expires_at=expires,
                actor=member.actor,
            )
    except KizunaError as exc:
        if exc.status >= 500:
            raise
        return _keys_page(
            request, session, member, error=exc.message(_lang(request)), status=exc.status
        )
    return _keys_page(request, session, member, new_key=key)


@router.post("/w/{slug}/admin/apikeys/{key_id}/revoke")
def revoke_key(member: KeyAdmins, session: SessionDep, _csrf: CsrfChecked, key_id: int) -> Response:
    """Revoke a key at once."""
    revoke_api_key(session, member.workspace, key_id, member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/apikeys", status_code=303)


@router.get("/w/{slug}/admin/audit")
def show_audit(
    request: Request,
    member: Auditors,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[dt.date | None, Query()] = None,
    until: Annotated[dt.date | None, Query()] = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """The audit log, newest first, filtered by actor, action and days."""
    zone = ZoneInfo(member.workspace.timezone)

    def start_of(day: dt.date | None) -> dt.datetime | None:
        return dt.datetime.combine(day, dt.time(), zone) if day else None

    page = list_audit(
        session,
        member.workspace,
        actor=actor or None,
        action=action or None,
        since=start_of(since),
        until=start_of(until + dt.timedelta(days=1)) if until else None,
        before=before,
        limit=100,
    )
    context = {
        "member": member,
        "nav_section": "audit",
        "page": page,
        "filters": {"actor": actor or "", "action": action or "", "since": since, "until": until},
    }
    return render_page(request, "accounts/audit.html", context)
