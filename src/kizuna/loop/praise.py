"""Praise reaches people: voices that praise a staff member, a team, a role or a store.

A praise target has a name and aliases (how customers write it: 田中さん, フロント, 渋谷店,
"the concierge"); a positive voice whose text names one is added to that target's praise
feed (the rules' `praise` action, or `route_praise` directly). Targets may ask for a weekly
e-mail digest (the `loop.praise_digest` schedule, Monday 09:00), sent once per week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.models import Feedback
from kizuna.loop.departments import get_department
from kizuna.loop.models import Praise, PraiseTarget
from kizuna.loop.notify import Notice, notify_address
from kizuna.mail.models import insert_once
from kizuna.settings import Settings

__all__ = [
    "PRAISE_KINDS",
    "PraiseItem",
    "create_praise_target",
    "find_targets",
    "list_praise",
    "list_praise_targets",
    "route_praise",
    "send_praise_digests",
]

PRAISE_KINDS = ("staff", "team", "role", "store")


def create_praise_target(
    session: Session,
    workspace: Workspace,
    name: str,
    *,
    kind: str = "staff",
    aliases: Sequence[str] = (),
    department_id: int | None = None,
    digest_emails: Sequence[str] = (),
    actor: str = "system",
) -> PraiseTarget:
    name = (name or "").strip()
    if not name or len(name) > 200 or kind not in PRAISE_KINDS:
        raise InvalidInput(
            f"A praise target needs a name (1-200 characters) and a kind: {', '.join(PRAISE_KINDS)}.",
            f"称賛の宛先には名前(1〜200文字)と種類({', '.join(PRAISE_KINDS)})が必要です。",
        )
    if department_id is not None:  # this workspace's, or 404 (not a foreign key error)
        get_department(session, workspace, department_id)
    target = PraiseTarget(
        workspace_id=workspace.id,
        kind=kind,
        name=name,
        aliases=[a.strip() for a in aliases if a.strip()],
        department_id=department_id,
        digest_emails=[e.strip() for e in digest_emails if e.strip()],
    )
    session.add(target)
    session.flush()
    record_audit(session, workspace, actor, "praise.target.create", f"praise_target:{target.id}")
    return target


def list_praise_targets(session: Session, workspace: Workspace) -> list[PraiseTarget]:
    return list(
        session.scalars(
            select(PraiseTarget)
            .where(PraiseTarget.workspace_id == workspace.id)
            .order_by(PraiseTarget.kind, PraiseTarget.name)
        )
    )


def find_targets(
    text: str | None, targets: Sequence[PraiseTarget]
) -> list[tuple[PraiseTarget, str]]:
    """The targets a text names (by name or alias, ignoring case), with the words found."""
    if not text:
        return []
    folded = text.casefold()
    found = []
    for target in targets:
        for word in [target.name, *(target.aliases or [])]:
            if word and str(word).casefold() in folded:
                found.append((target, str(word)))
                break
    return found


def route_praise(
    session: Session,
    workspace: Workspace,
    feedback_ids: Sequence[int],
    texts: dict[int, str | None],
    targets: Sequence[PraiseTarget] | None = None,
) -> int:
    """Add each voice to the feed of every target it names; returns entries added."""
    targets = list_praise_targets(session, workspace) if targets is None else targets
    added = 0
    for fid in feedback_ids:
        for target, word in find_targets(texts.get(fid), targets):
            added += insert_once(
                session,
                Praise,
                {
                    "workspace_id": workspace.id,
                    "target_id": target.id,
                    "feedback_id": fid,
                    "matched": word[:200],
                    "created_at": utcnow(),
                },
                ("target_id", "feedback_id"),
            )
    return added


@dataclass(frozen=True)
class PraiseItem:
    target: PraiseTarget
    feedback_id: int
    text: str | None
    channel: str
    received_at: dt.datetime
    matched: str


def list_praise(
    session: Session,
    workspace: Workspace,
    *,
    target_id: int | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
) -> list[PraiseItem]:
    """The praise feed, newest voices first (one target's, or every one's)."""
    query = (
        select(
            PraiseTarget,
            Praise.feedback_id,
            Feedback.text,
            Feedback.channel,
            Feedback.received_at,
            Praise.matched,
        )
        .join(PraiseTarget, PraiseTarget.id == Praise.target_id)
        .join(Feedback, Feedback.id == Praise.feedback_id)
        .where(Praise.workspace_id == workspace.id)
    )
    if target_id is not None:
        if session.get(PraiseTarget, target_id) is None:
            raise NotFound(
                f"Praise target {target_id} does not exist.",
                f"称賛の宛先 {target_id} はありません。",
            )
        query = query.where(Praise.target_id == target_id)
    if since is not None:
        query = query.where(Feedback.received_at >= since)
    rows = session.execute(
        query.order_by(Feedback.received_at.desc()).limit(max(1, min(limit, 500)))
    )
    return [PraiseItem(*row) for row in rows]


def send_praise_digests(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    now: dt.datetime | None = None,
) -> int:
    """E-mail each target that asked for it the last seven days' praise (once per week)."""
    now = now or utcnow()
    since = now - dt.timedelta(days=7)
    week = now.isocalendar()
    sent = 0
    for target in list_praise_targets(session, workspace):
        if not target.digest_emails:
            continue
        items = list_praise(session, workspace, target_id=target.id, since=since, limit=20)
        if not items:
            continue
        quotes = [(f"“{(i.text or '')[:200]}”", f"「{(i.text or '')[:200]}」") for i in items]
        notice = Notice(
            (
                f"{len(items)} customers praised {target.name} this week",
                f"今週、{len(items)} 件のお客様の声が{target.name}を称賛しています",
            ),
            quotes,
            f"praise?target={target.id}",
        )
        for address in target.digest_emails:
            key = f"loop.praise-digest:{target.id}:{week.year}-{week.week}:{address}"
            sent += notify_address(session, settings, workspace, address, key, notice)
    return sent
