"""Browser sessions kept on the server, and ending them.

The web layer (`kizuna.web.sessions`) loads and saves them; this module is the storage and
the rule: a session lasts `session_days` after its last use, a token is stored only as its
SHA-256, and `end_sessions(user)` logs a person out everywhere at once (used on logout of
every device, a role change, removal from a workspace, a new password).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kizuna.accounts.models import WebSession
from kizuna.db.base import utcnow

__all__ = [
    "TOUCH_AFTER",
    "delete_session",
    "end_sessions",
    "load_session",
    "new_token",
    "save_session",
]

TOUCH_AFTER = dt.timedelta(minutes=5)  # a session seen again later is extended once


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def load_session(session: Session, token: str, now: dt.datetime | None = None) -> WebSession | None:
    """The live session of a token, None when unknown, ended or expired."""
    now = now or utcnow()
    found = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if found is None or found.expires_at <= now:
        return None
    return found


def save_session(
    session: Session,
    token: str,
    data: dict[str, Any],
    days: int,
    *,
    existing: WebSession | None,
    now: dt.datetime | None = None,
) -> None:
    """Store the session's data under `token` and push its expiry `days` past now."""
    now = now or utcnow()
    user_id = data.get("user_id") if isinstance(data.get("user_id"), int) else None
    values = {
        "data": data,
        "user_id": user_id,
        "last_seen_at": now,
        "expires_at": now + dt.timedelta(days=days),
    }
    if existing is not None:
        session.execute(update(WebSession).where(WebSession.id == existing.id).values(**values))
        return
    # Expired rows go when new ones come: the table holds live sessions and a few stale ones.
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(WebSession(token_hash=_hash(token), created_at=now, **values))


def delete_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_sessions(session: Session, user_id: int) -> int:
    """Log a person out of every browser now; returns how many sessions ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
