"""Use cases of the accounts room: workspaces, users, memberships, API keys, audit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import ROLES, ApiKey, AuditEvent, Membership, User, Workspace
from kizuna.accounts.security import (
    generate_api_key,
    generate_password,
    hash_api_key,
    hash_password,
    verify_password,
)
from kizuna.db.base import utcnow
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


def create_api_key(session: Session, workspace: Workspace, name: str, role: str = "admin") -> str:
    """Create a key and return it in clear: the only time it is visible."""
    key = generate_api_key()
    session.add(
        ApiKey(
            workspace_id=workspace.id,
            name=name,
            prefix=key[:10],
            key_hash=hash_api_key(key),
            role=role,
        )
    )
    session.flush()
    return key


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
    key = create_api_key(session, ws, name="default")
    record_audit(session, ws, actor=f"user:{user.id}", action="workspace.init")
    return NewWorkspace(workspace=ws, admin=user, password=clear, api_key=key)


def authenticate_api_key(session: Session, key: str) -> tuple[Workspace, ApiKey]:
    found = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
    )
    if found is None:
        raise AuthenticationFailed(
            "The API key is missing, wrong or revoked. Send it in the X-API-Key header; create one with `kizuna apikey create`.",
            "APIキーがない、誤っている、または無効化されています。X-API-Key ヘッダーで送ってください。`kizuna apikey create` で作成できます。",
        )
    found.last_used_at = utcnow()
    ws = session.get(Workspace, found.workspace_id)
    assert ws is not None
    return ws, found


def authenticate_user(session: Session, email: str, password: str) -> User:
    user = session.scalar(
        select(User).where(User.email == email.strip().lower(), User.is_active.is_(True))
    )
    if user is None or not verify_password(user.password_hash, password):
        raise AuthenticationFailed(
            "E-mail or password is wrong. Check both and try again.",
            "メールアドレスまたはパスワードが違います。確認してもう一度お試しください。",
        )
    return user


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


def record_audit(
    session: Session, workspace: Workspace, actor: str, action: str, **details: Any
) -> None:
    session.add(AuditEvent(workspace_id=workspace.id, actor=actor, action=action, details=details))
