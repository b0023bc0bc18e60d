"""Dependencies shared by routes: the app object, DB sessions, API keys, page logins, CSRF.

`Annotated` aliases (SessionDep, ApiWorkspace, PageMember, CsrfChecked) keep route signatures
short. The API is scoped to the key's workspace; pages to a workspace the user belongs to.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from kizuna.accounts.models import User, Workspace
from kizuna.accounts.service import authenticate_api_key, role_of
from kizuna.app import Kizuna
from kizuna.errors import PermissionDenied
from kizuna.web.errors import CsrfFailed, LoginRequired

__all__ = [
    "ApiWorkspace",
    "CsrfChecked",
    "KizunaDep",
    "Member",
    "PageMember",
    "PageUser",
    "SessionDep",
    "get_session",
]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A workspace API key (`kizuna apikey create --workspace SLUG`).",
)


def get_kizuna(request: Request) -> Kizuna:
    kz: Kizuna = request.app.state.kz
    return kz


KizunaDep = Annotated[Kizuna, Depends(get_kizuna)]


def get_session(kz: KizunaDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with kz.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_api_workspace(
    kz: KizunaDep, key: Annotated[str | None, Security(api_key_header)]
) -> Workspace:
    """The workspace of the X-API-Key; 401 when it is missing, wrong or revoked."""
    # Its own short transaction: the key's last_used_at write must not hold SQLite's write
    # lock while a batch import writes through other connections.
    with kz.session() as session:
        workspace, _ = authenticate_api_key(session, key or "")
    return workspace


ApiWorkspace = Annotated[Workspace, Depends(get_api_workspace)]


def get_page_user(request: Request, session: SessionDep) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        request.session.clear()
        raise LoginRequired()
    return user


PageUser = Annotated[User, Depends(get_page_user)]


@dataclass(frozen=True)
class Member:
    """A logged-in user looking at one of their workspaces."""

    user: User
    workspace: Workspace
    role: str


def get_page_member(slug: str, user: PageUser, session: SessionDep, kz: KizunaDep) -> Member:
    workspace = kz.workspace(session, slug)
    role = role_of(session, workspace, user)
    if role is None:
        raise PermissionDenied(
            f"You are not a member of workspace '{slug}'. Ask its owner to add you.",
            f"ワークスペース「{slug}」のメンバーではありません。オーナーに追加を依頼してください。",
        )
    return Member(user=user, workspace=workspace, role=role)


PageMember = Annotated[Member, Depends(get_page_member)]


async def check_csrf(request: Request) -> None:
    """Every non-GET form sends the session's token in a field or the X-CSRF-Token header."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        field = form.get("csrf_token")
        sent = field if isinstance(field, str) else None
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed()


CsrfChecked = Annotated[None, Depends(check_csrf)]
