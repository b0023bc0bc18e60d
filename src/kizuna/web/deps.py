"""Dependencies shared by routes: the app object, DB sessions, callers with permissions, CSRF.

Every workspace route names the permission it needs:

    Readers = Annotated[Caller, Depends(api_caller("customers.read"))]     # JSON, X-API-Key
    Members = Annotated[Caller, Depends(page_member("customers.read"))]   # pages, login

The dependency authenticates (API key or session), finds the workspace, and raises 403
unless the caller's role (and, for keys, scopes) hold the permission, so a route body
only runs for callers allowed to. The permission is kept on the dependency (`.permission`)
so a test can walk every route and every role against the one table.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kizuna.accounts import key_cache
from kizuna.accounts.models import User, Workspace
from kizuna.accounts.permissions import check_permission, permissions_of
from kizuna.accounts.service import authenticate_api_key, role_of
from kizuna.app import Kizuna
from kizuna.errors import NotFound
from kizuna.web.errors import CsrfFailed, LoginRequired

__all__ = [
    "Caller",
    "CsrfChecked",
    "KizunaDep",
    "Member",
    "PageUser",
    "SessionDep",
    "api_caller",
    "api_workspace",
    "get_session",
    "page_member",
]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A workspace API key (`kizuna apikey create --workspace SLUG --role ROLE`).",
)


async def get_kizuna(request: Request) -> Kizuna:
    # Async: read on the event loop, no worker-thread hop for an attribute.
    kz: Kizuna = request.app.state.kz
    return kz


KizunaDep = Annotated[Kizuna, Depends(get_kizuna)]


def get_session(kz: KizunaDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with kz.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who is calling, in which workspace, with which role.

    `actor` names them in the audit log: `user:<id>` for a person, `apikey:<id>` for a key.
    `permissions` is everything they may do here (pages build the navigation from it).
    """

    workspace: Workspace
    role: str
    actor: str
    permissions: frozenset[str]
    user: User | None = None

    def may(self, permission: str) -> bool:
        return permission in self.permissions


# Pages used to call it Member; the same thing.
Member = Caller


class api_caller:
    """Dependency: the X-API-Key's workspace and role, if they hold `permission`; else 401/403.

    A key that authenticated within the last seconds is answered from `key_cache` on the
    event loop (no query, no thread hop); see that module for what a revoked key can do.
    """

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __repr__(self) -> str:
        return f"api_caller({self.permission!r})"

    async def __call__(
        self, kz: KizunaDep, key: Annotated[str | None, Security(api_key_header)]
    ) -> Caller:
        known = key_cache.known_key(kz.engine, key or "")
        if known is None:
            known = await run_in_threadpool(_look_up_key, kz, key or "")
        check_permission(known.role, self.permission, known.scopes)
        return Caller(
            workspace=known.workspace(),
            role=known.role,
            actor=f"apikey:{known.key_id}",
            permissions=permissions_of(known.role, known.scopes),
        )


def _look_up_key(kz: Kizuna, key: str) -> key_cache.KnownKey:
    # Its own short transaction: the key's last_used_at write must not hold SQLite's write
    # lock while a batch import writes through other connections.
    seen = key_cache.generation()
    with kz.session() as session:
        workspace, api_key = authenticate_api_key(session, key)
    return key_cache.remember_key(kz.engine, key, api_key, workspace, seen)


class api_workspace(api_caller):
    """Dependency: like `api_caller`, giving just the workspace (for routes that only read)."""

    def __repr__(self) -> str:
        return f"api_workspace({self.permission!r})"

    async def __call__(  # type: ignore[override]
        self, kz: KizunaDep, key: Annotated[str | None, Security(api_key_header)]
    ) -> Workspace:
        return (await super().__call__(kz, key)).workspace


def get_page_user(request: Request, session: SessionDep) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        request.session.clear()
        raise LoginRequired()
    return user


PageUser = Annotated[User, Depends(get_page_user)]


class page_member:
    """Dependency: the logged-in user in workspace `slug`, if their role holds `permission`."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __repr__(self) -> str:
        return f"page_member({self.permission!r})"

    def __call__(self, slug: str, user: PageUser, session: SessionDep, kz: KizunaDep) -> Caller:
        # One answer for "no such workspace" and "not yours": a slug cannot be probed.
        workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
        role = role_of(session, workspace, user) if workspace is not None else None
        if workspace is None or role is None:
            raise NotFound(
                f"There is no workspace '{slug}' that you belong to. Check the address, or ask "
                "the workspace's owner to invite you.",
                f"ワークスペース「{slug}」は存在しないか、あなたはメンバーではありません。"
                "アドレスを確認するか、オーナーに招待を依頼してください。",
            )
        check_permission(role, self.permission)
        return Caller(
            workspace=workspace,
            role=role,
            actor=f"user:{user.id}",
            permissions=permissions_of(role),
            user=user,
        )


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
