"""API keys: created with a role (viewer unless chosen), optional scopes and an expiry.

A key is shown once; only its SHA-256 is stored. Authentication refuses revoked and
expired keys with a message that says what to do. Creating and revoking are audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.key_cache import forget_keys
from kizuna.accounts.models import ROLES, ApiKey, Workspace
from kizuna.accounts.permissions import validate_scopes
from kizuna.accounts.security import generate_api_key, hash_api_key
from kizuna.db.base import utcnow
from kizuna.errors import AuthenticationFailed, InvalidInput, NotFound

__all__ = [
    "DEFAULT_ROLE",
    "authenticate_api_key",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
]

DEFAULT_ROLE = "viewer"
_LAST_USED_STEP = dt.timedelta(minutes=1)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(
            f"Unknown role '{role}'; use one of {', '.join(ROLES)}.",
            f"ロール「{role}」は不明です。{', '.join(ROLES)} のいずれかを指定してください。",
            role=role,
        )
    return role


def create_api_key(
    session: Session,
    workspace: Workspace,
    name: str,
    role: str = DEFAULT_ROLE,
    *,
    scopes: list[str] | tuple[str, ...] = (),
    expires_at: dt.datetime | None = None,
    actor: str = "system",
) -> str:
    """Create a key and return it in clear: the only time it is visible."""
    _check_role(role)
    chosen = validate_scopes(scopes)
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput(
            "The expiry date is in the past; choose a later date.",
            "有効期限が過去の日時です。これより後の日時を指定してください。",
        )
    key = generate_api_key()
    row = ApiKey(
        workspace_id=workspace.id,
        name=name[:200] or "key",
        prefix=key[:10],
        key_hash=hash_api_key(key),
        role=role,
        scopes=chosen,
        created_by=actor,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    record_audit(session, workspace, actor, "apikey.create", f"apikey:{row.id}", role=role)
    return key


def list_api_keys(session: Session, workspace: Workspace) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.workspace_id == workspace.id).order_by(ApiKey.id)
        )
    )


def revoke_api_key(session: Session, workspace: Workspace, key_id: int, actor: str) -> ApiKey:
    """Revoke a key of this workspace at once (idempotent); 404 for another workspace's.

    This process refuses the key from its next call; other processes within
    `key_cache.FRESH_SECONDS` of the commit (see `kizuna.accounts.key_cache`)."""
    key = session.scalar(
        select(ApiKey).where(ApiKey.workspace_id == workspace.id, ApiKey.id == key_id)
    )
    if key is None:
        raise NotFound(
            f"API key {key_id} does not exist in this workspace. List keys with "
            "`kizuna apikey list`.",
            f"API キー {key_id} はこのワークスペースにありません。`kizuna apikey list` で確認してください。",
        )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        forget_keys(session)
        record_audit(session, workspace, actor, "apikey.revoke", f"apikey:{key.id}")
    return key


def authenticate_api_key(session: Session, key: str) -> tuple[Workspace, ApiKey]:
    found = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
    )
    if found is None:
        raise AuthenticationFailed(
            "The API key is missing, wrong or revoked. Send it in the X-API-Key header; create "
            "one with `kizuna apikey create`.",
            "APIキーがない、誤っている、または無効化されています。X-API-Key ヘッダーで送って"
            "ください。`kizuna apikey create` で作成できます。",
        )
    now = utcnow()
    if found.expires_at is not None and found.expires_at <= now:
        raise AuthenticationFailed(
            f"This API key ({found.prefix}…) expired on {found.expires_at:%Y-%m-%d}. Ask an "
            "admin for a new one (`kizuna apikey create`).",
            f"この API キー({found.prefix}…)は {found.expires_at:%Y-%m-%d} に期限切れになりました。"
            "管理者に新しいキーを依頼してください(`kizuna apikey create`)。",
        )
    # Kept to the minute (what `kizuna apikey list` shows): a write on every call would make
    # each API request a write transaction, queued behind imports for SQLite's one writer.
    if found.last_used_at is None or found.last_used_at <= now - _LAST_USED_STEP:
        found.last_used_at = now
    workspace = session.get(Workspace, found.workspace_id)
    assert workspace is not None
    return workspace, found
