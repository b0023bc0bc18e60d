"""The audit log: who did what to which record, when; and reading it back with filters.

Every write of a person, an API key or a command is recorded through `record_audit` in
the same transaction as the write (`insert_audit` where the write runs on a Core
connection). `actor` is `user:<id>`, `apikey:<id>`, `cli:<login>`, `job:<id>` or `system`;
`target` names the record (`segment:12`); `details` holds ids and counts, never personal
data (no e-mail, name or text).
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import AuditEvent, Workspace

__all__ = ["AuditPage", "cli_actor", "insert_audit", "list_audit", "record_audit"]

MAX_PAGE = 500
_INSERT = insert(cast(Table, AuditEvent.__table__))  # built once: compiled once


def record_audit(
    session: Session,
    workspace: Workspace | int,
    actor: str,
    action: str,
    target: str = "",
    **details: Any,
) -> None:
    """Add one audit row in the caller's transaction."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    session.add(AuditEvent(**_row(workspace_id, actor, action, target, details)))


def insert_audit(
    conn: Connection, workspace_id: int, actor: str, action: str, target: str = "", **details: Any
) -> None:
    """`record_audit` on a Core connection, in its transaction (no ORM session opened)."""
    conn.execute(_INSERT, _row(workspace_id, actor, action, target, details))


def _row(
    workspace_id: int, actor: str, action: str, target: str, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "actor": actor[:200],
        "action": action[:100],
        "target": target[:200],
        "details": details,
    }


def cli_actor() -> str:
    """The actor of a command run from a terminal: the operating-system login."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return f"cli:{login}"


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    next_before: int | None  # pass as `before` for the next (older) page


def list_audit(
    session: Session,
    workspace: Workspace,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """The workspace's audit rows, newest first, filtered; `action` matches a prefix."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace.id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if target:
        query = query.where(AuditEvent.target == target)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)
