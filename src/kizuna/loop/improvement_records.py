"""Improvements themselves (behind `improvements`): create, read, list, edit and move them
idea -> planned -> in_progress -> shipped, and the public changelog of what shipped.
Shipping raises `improvement.shipped` once, in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.jobs.events import raise_event
from kizuna.loop.departments import get_department
from kizuna.loop.events import ImprovementShipped
from kizuna.loop.models import IMPROVEMENT_STATUSES, Improvement, ImprovementLink

__all__ = [
    "change_improvement",
    "create_improvement",
    "get_improvement",
    "list_improvements",
    "public_changelog",
]


def _check_text(title: Any, description: Any) -> tuple[str, str]:
    title = str(title or "").strip()
    if not title or len(title) > 300:
        raise InvalidInput(
            "An improvement needs a title of 1 to 300 characters.",
            "改善には1〜300文字のタイトルが必要です。",
        )
    return title, str(description or "").strip()[:5000]


def create_improvement(
    session: Session,
    workspace: Workspace,
    title: str,
    description: str = "",
    *,
    department_id: int | None = None,
    topic: str | None = None,
    public: bool = True,
    actor: str = "system",
) -> Improvement:
    title, description = _check_text(title, description)
    if department_id is not None:  # this workspace's, or 404 (not a foreign key error)
        get_department(session, workspace, department_id)
    improvement = Improvement(
        workspace_id=workspace.id,
        title=title,
        description=description,
        department_id=department_id,
        topic=(topic or None),
        status="idea",
        public=public,
        created_by=actor,
        version=1,
    )
    session.add(improvement)
    session.flush()
    record_audit(session, workspace, actor, "improvement.create", f"improvement:{improvement.id}")
    return improvement


def get_improvement(session: Session, workspace: Workspace, improvement_id: int) -> Improvement:
    found = session.scalar(
        select(Improvement).where(
            Improvement.workspace_id == workspace.id, Improvement.id == improvement_id
        )
    )
    if found is None:
        raise NotFound(
            f"Improvement {improvement_id} does not exist in this workspace.",
            f"改善 {improvement_id} はこのワークスペースにありません。",
            improvement_id=improvement_id,
        )
    return found


def list_improvements(
    session: Session, workspace: Workspace, status: str | None = None
) -> list[tuple[Improvement, int]]:
    """Improvements (newest first) with how many voices each links."""
    counts = (
        select(ImprovementLink.improvement_id, func.count().label("n"))
        .where(ImprovementLink.workspace_id == workspace.id)
        .group_by(ImprovementLink.improvement_id)
        .subquery()
    )
    query = (
        select(Improvement, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.improvement_id == Improvement.id)
        .where(Improvement.workspace_id == workspace.id)
    )
    if status:
        query = query.where(Improvement.status == status)
    rows = session.execute(query.order_by(Improvement.updated_at.desc(), Improvement.id.desc()))
    return [(imp, int(n)) for imp, n in rows]


def change_improvement(
    session: Session,
    workspace: Workspace,
    improvement_id: int,
    *,
    version: int | None = None,
    status: str | None = None,
    title: str | None = None,
    description: str | None = None,
    department_id: int | None = None,
    topic: str | None = None,
    public: bool | None = None,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> Improvement:
    """Edit an improvement or move its status; shipping raises `improvement.shipped` once."""
    improvement = get_improvement(session, workspace, improvement_id)
    if version is not None and version != improvement.version:
        raise Conflict(
            f"Improvement {improvement.id} was changed by someone else; reload it and try again.",
            f"改善 {improvement.id} は他の人が変更しました。読み込み直してからもう一度操作してください。",
        )
    if title is not None or description is not None:
        improvement.title, improvement.description = _check_text(
            title if title is not None else improvement.title,
            description if description is not None else improvement.description,
        )
    if department_id is not None:
        improvement.department_id = get_department(session, workspace, department_id).id
    if topic is not None:
        improvement.topic = topic or None
    if public is not None:
        improvement.public = public
    shipped = False
    if status is not None and status != improvement.status:
        if status not in IMPROVEMENT_STATUSES:
            raise InvalidInput(
                f"Status is one of {', '.join(IMPROVEMENT_STATUSES)}.",
                f"状態は {', '.join(IMPROVEMENT_STATUSES)} のいずれかです。",
            )
        if improvement.status == "shipped":
            raise InvalidInput(
                "A shipped improvement stays shipped (its customers were told); create a new one.",
                "リリース済みの改善は戻せません(お客様にお知らせ済みです)。新しい改善を作成してください。",
            )
        improvement.status = status
        if status == "shipped":
            improvement.shipped_at = now or utcnow()
            shipped = True
    improvement.version += 1
    improvement.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "improvement.update", f"improvement:{improvement.id}")
    if shipped:
        record_audit(session, workspace, actor, "improvement.ship", f"improvement:{improvement.id}")
        raise_event(
            session,
            ImprovementShipped(workspace_id=workspace.id, improvement_id=improvement.id),
            key=f"improvement:{improvement.id}",
        )
    return improvement


def public_changelog(
    session: Session, workspace: Workspace, limit: int = 100
) -> list[tuple[Improvement, int]]:
    """Shipped public improvements, newest first, with how many voices asked for each."""
    rows = [
        (imp, n) for imp, n in list_improvements(session, workspace, status="shipped") if imp.public
    ]
    rows.sort(key=lambda pair: pair[0].shipped_at or pair[0].updated_at, reverse=True)
    return rows[:limit]
