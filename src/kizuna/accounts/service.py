"""Use cases of the accounts room: workspaces, users, logins.

API keys are `kizuna.accounts.keys`, members and invitations `kizuna.accounts.members`,
the audit log `kizuna.accounts.audit`; the names callers used before stay importable here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.keys import authenticate_api_key, create_api_key
from kizuna.accounts.models import ROLES, Membership, User, Workspace
from kizuna.accounts.security import generate_password, hash_password, verify_password
from kizuna.errors import AuthenticationFailed, Conflict, InvalidInput

__all__ = [
    "NewWorkspace",
    "authenticate_api_key",
    "authenticate_user",
    "create_api_key",
    "create_user",
    "create_workspace",
    "init_workspace",
    "record_audit",
    "role_of",
    "workspaces_of",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class NewWorkspace:
    """What `init_workspace` made; the password and key are shown once and never stored."""

    workspace: Workspace
    admin: User
    password: str
    api_key: str


def create_workspace(
    session: Session,
    slug: str,
    name: str | None = None,
    timezone: str = "Asia/Tokyo",
    language: str = "ja",
) -> Workspace:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"'{slug}' is not a valid workspace slug: use lower-case letters, digits and '-'.",
            f"「{slug}」はワークスペース名(スラッグ)に使えません。半角英小文字・数字・「-」を使ってください。",
            slug=slug,
        )
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(
            f"Workspace '{slug}' already exists; choose another slug.",
            f"ワークスペース「{slug}」はすでに存在します。別の名前を指定してください。",
            slug=slug,
        )
    ws = Workspace(slug=slug, name=name or slug, timezone=timezone, language=language)
    session.add(ws)
    session.flush()
    return ws


def create_user(
    session: Session, email: str, password: str, display_name: str = "", language: str = "ja"
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(
            f"'{email}' is not an e-mail address.",
            f"「{email}」はメールアドレスではありません。",
        )
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        return existing
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, workspace: Workspace, user: User, role: str) -> Membership:
    if role not in ROLES:
        raise InvalidInput(
            f"Unknown role '{role}'; use one of {', '.join(ROLES)}.",
            f"ロール「{role}」は不明です。{', '.join(ROLES)} のいずれかを指定してください。",
        )
    m = Membership(workspace_id=workspace.id, user_id=user.id, role=role)
    session.add(m)
    session.flush()
    return m


def init_workspace(
    session: Session,
    slug: str,
    admin_email: str,
    password: str | None = None,
    name: str | None = None,
    timezone: str = "Asia/Tokyo",
) -> NewWorkspace:
    """A workspace, its owner and a first API key."""
    ws = create_workspace(session, slug, name=name, timezone=timezone)
    clear = password or generate_password()
    user = create_user(session, admin_email, clear)
    add_member(session, ws, user, "owner")
    actor = f"user:{user.id}"
    record_audit(session, ws, actor=actor, action="workspace.init", target=f"workspace:{ws.id}")
    # The owner asked for a working key at setup: an admin one, named so; every key made
    # later starts as a viewer unless its creator chooses more.
    key = create_api_key(session, ws, name="default (admin)", role="admin", actor=actor)
    return NewWorkspace(workspace=ws, admin=user, password=clear, api_key=key)


def authenticate_user(session: Session, email: str, password: str) -> User:
    """The user of this e-mail and password; AuthenticationFailed otherwise.

    An unknown e-mail costs the same Argon2 work as a wrong password, so the answer's timing
    does not tell which addresses have accounts."""
    user = session.scalar(
        select(User).where(User.email == email.strip().lower(), User.is_active.is_(True))
    )
    stored = user.password_hash if user is not None else _unknown_user_hash()
    if not verify_password(stored, password) or user is None:
        raise AuthenticationFailed(
            "E-mail or password is wrong. Check both and try again.",
            "メールアドレスまたはパスワードが違います。確認してもう一度お試しください。",
        )
    return user


@cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def role_of(session: Session, workspace: Workspace, user: User) -> str | None:
    return session.scalar(
        select(Membership.role).where(
            Membership.workspace_id == workspace.id, Membership.user_id == user.id
        )
    )


def workspaces_of(session: Session, user: User) -> list[Workspace]:
    return list(
        session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user.id)
            .order_by(Workspace.slug)
        )
    )
