"""JSON routes of accounts: the key's workspace, members, invitations, API keys, audit log.

Each route names its permission; writes are audited by the services with the key as actor
(`apikey:<id>`). A new key or invitation token is returned once, never stored in clear.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from kizuna.accounts.audit import MAX_PAGE, list_audit
from kizuna.accounts.invitations import send_invitation
from kizuna.accounts.keys import create_api_key, list_api_keys, revoke_api_key
from kizuna.accounts.members import (
    change_role,
    invite_member,
    list_members,
    remove_member,
)
from kizuna.accounts.permissions import permission_table
from kizuna.web.deps import Caller, KizunaDep, SessionDep, api_caller
from kizuna.web.fields import IsoDateTime, StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = ["router"]

router = APIRouter(route_class=SummaryRoute)

Role = Literal["owner", "admin", "analyst", "agent", "viewer"]
KeyRole = Literal["admin", "analyst", "agent", "viewer"]
Reader = Annotated[Caller, Depends(api_caller("workspace.read"))]
MemberAdmin = Annotated[Caller, Depends(api_caller("members.manage"))]
KeyAdmin = Annotated[Caller, Depends(api_caller("apikeys.manage"))]
Auditor = Annotated[Caller, Depends(api_caller("audit.read"))]
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class _PermissionNames:
    """Documents a scope as one of the permission names, read from the features when the
    document is built (the service refuses any other with 422)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": sorted(permission_table())}


Scope = Annotated[str, _PermissionNames]
LAST_OWNER: dict[int | str, dict[str, object]] = {
    409: {"description": "The workspace's last owner: make someone else owner first."}
}


class WorkspacePublic(BaseModel):
    """The workspace an API key belongs to, and what the key may do in it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    timezone: str
    language: str
    created_at: dt.datetime
    role: Role
    permissions: list[str] = []


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    email: str
    display_name: str
    role: Role
    is_active: bool


class InvitationCreate(StrictBody):
    email: str = Field(max_length=320, pattern="@", examples=["hanako@example.com"])
    role: Role = "viewer"


class MemberInvitationPublic(BaseModel):
    id: int
    email: str
    role: Role
    expires_at: dt.datetime
    token: str = Field(description="Shown once: the link is {base_url}/invite/{token}.")


class RoleUpdate(StrictBody):
    role: Role


class ApiKeyCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    role: KeyRole = "viewer"
    scopes: list[Scope] = Field(
        default_factory=list, max_length=100, description="Permission names; none: the role's."
    )
    days: int | None = Field(365, ge=1, le=3650, description="Days valid; null: no expiry.")


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="Shown once; only its hash is stored.")


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, object]


class AuditPagePublic(BaseModel):
    items: list[AuditEventPublic]
    next_before: int | None


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A time without a zone is read as UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment and moment.tzinfo is None else moment


@router.get("/workspace", response_model=WorkspacePublic, tags=["workspace"])
def get_workspace(caller: Reader) -> WorkspacePublic:
    """Get the workspace of the API key, with the key's role and permissions."""
    workspace = caller.workspace
    return WorkspacePublic(
        id=workspace.id,
        slug=workspace.slug,
        name=workspace.name,
        timezone=workspace.timezone,
        language=workspace.language,
        created_at=workspace.created_at,
        role=caller.role,
        permissions=sorted(caller.permissions),
    )


@router.get("/members", response_model=list[MemberPublic], tags=["members"])
def get_members(caller: MemberAdmin, session: SessionDep) -> list[MemberPublic]:
    """List the workspace's members and their roles."""
    return [MemberPublic.model_validate(m) for m in list_members(session, caller.workspace)]


@router.post(
    "/invitations",
    response_model=MemberInvitationPublic,
    status_code=201,
    tags=["members"],
    responses={409: {"description": "Already a member: change their role instead."}},
)
def create_invitation(
    body: InvitationCreate, caller: MemberAdmin, session: SessionDep, kz: KizunaDep
) -> MemberInvitationPublic:
    """Invite someone to join with a role: a single-use link that expires, e-mailed to them."""
    made = invite_member(
        session,
        caller.workspace,
        body.email,
        body.role,
        actor=caller.actor,
        actor_role=caller.role,
        days=kz.settings.invitation_days,
    )
    send_invitation(kz, session, caller.workspace, made, kz.settings.language)
    invitation = made.invitation
    return MemberInvitationPublic(
        id=invitation.id,
        email=invitation.email,
        role=body.role,
        expires_at=invitation.expires_at,
        token=made.token,
    )


@router.patch(
    "/members/{user_id}", response_model=MemberPublic, tags=["members"], responses=LAST_OWNER
)
def update_member(
    user_id: RecordId, body: RoleUpdate, caller: MemberAdmin, session: SessionDep
) -> MemberPublic:
    """Change a member's role."""
    change_role(
        session, caller.workspace, user_id, body.role, actor=caller.actor, actor_role=caller.role
    )
    found = [m for m in list_members(session, caller.workspace) if m.user_id == user_id]
    return MemberPublic.model_validate(found[0])


@router.delete("/members/{user_id}", status_code=204, tags=["members"], responses=LAST_OWNER)
def delete_member(user_id: RecordId, caller: MemberAdmin, session: SessionDep) -> Response:
    """Remove a member from the workspace."""
    remove_member(session, caller.workspace, user_id, actor=caller.actor, actor_role=caller.role)
    return Response(status_code=204)


@router.get("/apikeys", response_model=list[ApiKeyPublic], tags=["api keys"])
def get_api_keys(caller: KeyAdmin, session: SessionDep) -> list[ApiKeyPublic]:
    """List the workspace's API keys (never the keys themselves)."""
    return [ApiKeyPublic.model_validate(k) for k in list_api_keys(session, caller.workspace)]


@router.post("/apikeys", response_model=ApiKeyCreated, status_code=201, tags=["api keys"])
def add_api_key(body: ApiKeyCreate, caller: KeyAdmin, session: SessionDep) -> ApiKeyCreated:
    """Create an API key; the key is in this answer only."""
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=body.days) if body.days else None
    key = create_api_key(
        session,
        caller.workspace,
        body.name,
        body.role,
        scopes=body.scopes,
        expires_at=expires,
        actor=caller.actor,
    )
    made = next(k for k in list_api_keys(session, caller.workspace) if k.prefix == key[:10])
    return ApiKeyCreated.model_validate(
        {**ApiKeyPublic.model_validate(made).model_dump(), "key": key}
    )


@router.delete("/apikeys/{key_id}", status_code=204, tags=["api keys"])
def delete_api_key(key_id: RecordId, caller: KeyAdmin, session: SessionDep) -> Response:
    """Revoke an API key at once."""
    revoke_api_key(session, caller.workspace, key_id, caller.actor)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPagePublic, tags=["audit"])
def get_audit(
    caller: Auditor,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="A prefix, e.g. segment.")
    ] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPagePublic:
    """Read the audit log, newest first, filtered by actor, action prefix, record and time."""
    since, until = _aware(since), _aware(until)
    page = list_audit(
        session,
        caller.workspace,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    return AuditPagePublic(
        items=[AuditEventPublic.model_validate(e) for e in page.items],
        next_before=page.next_before,
    )
