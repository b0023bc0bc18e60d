"""Cases: follow-up work on a voice, from new to closed, with a full history.

Statuses and the moves between them (`MOVES`):

    new -> assigned -> in_progress -> waiting (for the customer) -> resolved -> closed
                                                                       |          |
                                                                       '-> reopened <-'

Every change is one `loop_case_event` row (who, when, what, from -> to), comments and
handoff notes included. Two agents editing one case: each change names the `version` it
was made on, and the later save of two made on the same version is refused (Conflict)
instead of overwriting; the case page shows what changed meanwhile. Closing needs a
root cause (the workspace's taxonomy) and a resolution note.

Who sees what: callers holding `cases.read_all` see every case; others (agents) see the
cases of their departments and the cases they own (`CaseViewer`). A deleted user's cases
keep the owner's name and can be given to someone else.

The inbox (filters and pages) is `kizuna.loop.case_list`; comments, @mentions and
handoffs are `kizuna.loop.case_notes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, update
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import User, Workspace
from kizuna.analytics.calendar import BusinessCalendar
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.feedback.models import Feedback
from kizuna.jobs.events import raise_event
from kizuna.loop.config import SlaPolicy, business_calendar, root_causes, sla_policy
from kizuna.loop.departments import (
    department_ids_of,
    get_department,
    person_name,
    require_member,
)
from kizuna.loop.events import CaseChanged, CaseOpened
from kizuna.loop.models import CASE_STATUSES, PRIORITIES, Case, CaseEvent
from kizuna.loop.notify import Notice, notify_address, notify_user
from kizuna.loop.sla import mark_first_response, pause_resolution, resume_resolution, set_deadlines
from kizuna.settings import Settings

__all__ = [
    "MOVES",
    "CaseViewer",
    "case_history",
    "change_case",
    "get_case",
    "open_case",
]

MOVES: dict[str, tuple[str, ...]] = {
    "new": ("assigned", "in_progress", "resolved"),
    "assigned": ("in_progress", "waiting", "resolved"),
    "in_progress": ("waiting", "resolved", "assigned"),
    "waiting": ("in_progress", "resolved"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("assigned", "in_progress", "waiting", "resolved"),
}


@dataclass(frozen=True)
class CaseViewer:
    """Who looks: a user (or key) that sees every case, or one department's people."""

    user_id: int | None
    sees_all: bool
    actor: str = "system"

    @classmethod
    def everyone(cls, actor: str = "system") -> CaseViewer:
        return cls(None, True, actor)


def _visible(session: Session, workspace: Workspace, viewer: CaseViewer) -> ColumnElement[bool]:
    if viewer.sees_all:
        return Case.workspace_id == workspace.id
    departments = department_ids_of(session, workspace, viewer.user_id)
    own = Case.owner_id == viewer.user_id if viewer.user_id is not None else false()
    mine = Case.department_id.in_(departments) if departments else false()
    return and_(Case.workspace_id == workspace.id, or_(own, mine))


def _not_found(case_id: int) -> NotFound:
    return NotFound(
        f"Case {case_id} does not exist in this workspace, or belongs to a department you are "
        "not in. See the case inbox.",
        f"ケース {case_id} はこのワークスペースにないか、所属していない部署のケースです。"
        "ケース一覧を確認してください。",
        case_id=case_id,
    )


def get_case(
    session: Session, workspace: Workspace, case_id: int, viewer: CaseViewer | None = None
) -> Case:
    viewer = viewer or CaseViewer.everyone()
    found = session.scalar(
        select(Case).where(_visible(session, workspace, viewer), Case.id == case_id)
    )
    if found is None:
        raise _not_found(case_id)
    return found


def _event(
    session: Session,
    case: Case,
    actor: str,
    kind: str,
    body: str | None = None,
    **details: Any,
) -> CaseEvent:
    event = CaseEvent(
        workspace_id=case.workspace_id,
        case_id=case.id,
        actor=actor,
        actor_name=_actor_name(session, actor),
        kind=kind,
        details=details,
        body=body,
        at=utcnow(),
    )
    session.add(event)
    return event


def _actor_name(session: Session, actor: str) -> str:
    if actor.startswith("user:"):
        user = session.get(User, int(actor.split(":", 1)[1]))
        return person_name(user) if user is not None else ""
    return ""


def _check_priority(priority: int) -> int:
    if priority not in PRIORITIES:
        raise InvalidInput(
            f"Priority must be 1 (urgent) to 4 (low); got {priority!r}.",
            f"優先度は 1(緊急)〜4(低)で指定してください(指定値: {priority!r})。",
        )
    return priority


def open_case(
    session: Session,
    workspace: Workspace,
    *,
    title: str,
    department_id: int | None = None,
    priority: int = 3,
    feedback_id: int | None = None,
    customer_id: int | None = None,
    rule_id: int | None = None,
    tags: Sequence[str] = (),
    actor: str = "system",
    settings: Settings | None = None,
    now: dt.datetime | None = None,
    clocks: tuple[BusinessCalendar, SlaPolicy] | None = None,
) -> Case:
    """Open a case (SLA deadlines set, history started, `case.opened` raised); audited.

    `clocks` (the workspace's calendar and SLA policy) spares reading them again when the
    rule engine opens many cases at once.
    """
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise InvalidInput(
            "A case needs a title of 1 to 300 characters.",
            "ケースの件名は1〜300文字で指定してください。",
        )
    _check_priority(priority)
    department = (
        get_department(session, workspace, department_id) if department_id is not None else None
    )
    if feedback_id is not None:
        voice = session.scalar(
            select(Feedback).where(
                Feedback.workspace_id == workspace.id, Feedback.id == feedback_id
            )
        )
        if voice is None:
            raise NotFound(
                f"Voice {feedback_id} does not exist in this workspace.",
                f"顧客の声 {feedback_id} はこのワークスペースにありません。",
                feedback_id=feedback_id,
            )
        customer_id = customer_id or voice.customer_id
    now = now or utcnow()
    case = Case(
        workspace_id=workspace.id,
        title=title,
        status="new",
        priority=priority,
        department_id=department_id,
        feedback_id=feedback_id,
        customer_id=customer_id,
        rule_id=rule_id,
        tags=list(dict.fromkeys(tags)),
        opened_at=now,
        updated_at=now,
        warned=[],
        breached=[],
        version=1,
    )
    calendar, policy = clocks or (
        business_calendar(session, workspace),
        sla_policy(session, workspace),
    )
    set_deadlines(case, calendar, policy)
    session.add(case)
    session.flush()
    _event(
        session,
        case,
        actor,
        "opened",
        department_id=department_id,
        priority=priority,
        rule_id=rule_id,
    )
    record_audit(session, workspace, actor, "case.open", f"case:{case.id}", rule_id=rule_id)
    raise_event(
        session,
        CaseOpened(
            workspace_id=workspace.id, case_id=case.id, rule_id=rule_id, feedback_id=feedback_id
        ),
        key=f"case:{case.id}",
    )
    if priority == 1 and department is not None:
        notice = Notice(
            (f"Urgent case #{case.id}: {title}", f"緊急ケース #{case.id}: {title}"),
            [
                (
                    "A new urgent case is waiting in your department's inbox.",
                    "部署の受信箱に緊急のケースが届きました。",
                )
            ],
            f"cases/{case.id}",
        )
        notify_address(
            session, settings, workspace, department.email, f"loop.case-urgent:{case.id}", notice
        )
    return case


def _bump(session: Session, case: Case, version: int | None, now: dt.datetime) -> None:
    """Move the case to its next version, or refuse a change made on an older one."""
    expected = case.version if version is None else version
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == expected)
        .values(version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        session.refresh(case)
        raise Conflict(
            f"Case #{case.id} was changed by someone else since you opened it (now version "
            f"{case.version}, yours {expected}). Reload the case, check their change and "
            "save again.",
            f"ケース #{case.id} は、開いた後に他の人が変更しました(現在の版 {case.version}、"
            f"あなたの版 {expected})。ケースを読み込み直し、変更内容を確認してから保存し直してください。",
            case_id=case.id,
            version=case.version,
        )
    session.refresh(case)


def change_case(
    session: Session,
    workspace: Workspace,
    case_id: int,
    *,
    viewer: CaseViewer,
    version: int | None,
    status: str | None = None,
    priority: int | None = None,
    owner_id: int | None = None,
    unassign: bool = False,
    root_cause: str | None = None,
    resolution_note: str | None = None,
    tags: Sequence[str] | None = None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Change status, priority, owner, tags or the closing notes, in one history step each."""
    now = now or utcnow()
    case = get_case(session, workspace, case_id, viewer)
    actor = viewer.actor
    # Every check before the first write, so a refused change leaves nothing behind.
    if root_cause is not None:
        known = {r.code for r in root_causes(session, workspace)}
        if root_cause not in known:
            raise InvalidInput(
                f"Unknown root cause {root_cause!r}; use one of {', '.join(sorted(known))}.",
                f"原因分類 {root_cause!r} はありません。次から選んでください: {', '.join(sorted(known))}",
            )
    if priority is not None:
        _check_priority(priority)
    if owner_id is not None and owner_id != case.owner_id:
        require_member(session, workspace, owner_id)
    if status is not None and status != case.status:
        _check_move(
            case,
            status,
            root_cause or case.root_cause,
            (resolution_note or "").strip() or case.resolution_note,
            owner_id or case.owner_id,
        )
    _bump(session, case, version, now)
    changes: list[str] = []
    if root_cause is not None and root_cause != case.root_cause:
        _event(session, case, actor, "root_cause", before=case.root_cause, after=root_cause)
        case.root_cause = root_cause
    if resolution_note is not None and resolution_note.strip() != (case.resolution_note or ""):
        case.resolution_note = resolution_note.strip()[:5000] or None
        _event(session, case, actor, "resolution_note", body=case.resolution_note)
    if priority is not None and priority != case.priority:
        _check_priority(priority)
        _event(session, case, actor, "priority", before=case.priority, after=priority)
        case.priority = priority
        changes.append("priority")
    if tags is not None:
        clean = list(dict.fromkeys(t.strip()[:64] for t in tags if t.strip()))
        if clean != list(case.tags or []):
            _event(session, case, actor, "tags", before=list(case.tags or []), after=clean)
            case.tags = clean
    if unassign and case.owner_id is not None:
        _event(session, case, actor, "unassigned", before=case.owner_name)
        case.owner_id, case.owner_name = None, None
        changes.append("owner")
    elif owner_id is not None and owner_id != case.owner_id:
        _assign(session, workspace, case, owner_id, actor, settings)
        changes.append("owner")
    if status is not None and status != case.status:
        _move(session, workspace, case, status, actor, now)
        changes.append("status")
    session.flush()
    if changes:
        record_audit(
            session, workspace, actor, "case.update", f"case:{case.id}", changed=len(changes)
        )
        raise_event(
            session,
            CaseChanged(
                workspace_id=workspace.id,
                case_id=case.id,
                status=case.status,
                change=",".join(changes),
            ),
        )
    return case


def _assign(
    session: Session,
    workspace: Workspace,
    case: Case,
    owner_id: int,
    actor: str,
    settings: Settings | None,
) -> None:
    user = require_member(session, workspace, owner_id)
    _event(
        session,
        case,
        actor,
        "assigned",
        before=case.owner_name,
        after=person_name(user),
        owner_id=user.id,
    )
    case.owner_id, case.owner_name = user.id, person_name(user)
    if case.status in ("new", "reopened"):
        _event(session, case, actor, "status", before=case.status, after="assigned")
        case.status = "assigned"
    if actor != f"user:{user.id}":
        notice = Notice(
            (
                f"Case #{case.id} is yours: {case.title}",
                f"ケース #{case.id} の担当になりました: {case.title}",
            ),
            [
                (
                    "Open the case to see the customer's voice and context.",
                    "お客様の声と状況はケースのページで確認できます。",
                )
            ],
            f"cases/{case.id}",
        )
        notify_user(
            session, settings, workspace, user.id, f"loop.assign:{case.id}:{case.version}", notice
        )


def _check_move(
    case: Case, status: str, root_cause: str | None, note: str | None, owner_id: int | None
) -> None:
    if status not in CASE_STATUSES:
        raise InvalidInput(
            f"Unknown status {status!r}; use one of {', '.join(CASE_STATUSES)}.",
            f"状態 {status!r} はありません。{', '.join(CASE_STATUSES)} のいずれかです。",
        )
    if status not in MOVES[case.status]:
        raise InvalidInput(
            f"A case that is {case.status} cannot move to {status}; next can be: "
            f"{', '.join(MOVES[case.status])}.",
            f"状態「{case.status}」のケースは「{status}」にできません。次に進める状態: "
            f"{', '.join(MOVES[case.status])}",
            status=case.status,
        )
    if status == "closed" and (not root_cause or not note):
        raise InvalidInput(
            "Closing a case needs a root cause and a resolution note; add both and close again.",
            "ケースを完了するには原因分類と対応内容のメモが必要です。両方を入力してからもう一度完了してください。",
        )
    if status == "assigned" and owner_id is None:
        raise InvalidInput(
            "Choose an owner to assign the case to.",
            "担当者を選んでから割り当ててください。",
        )


def _move(
    session: Session, workspace: Workspace, case: Case, status: str, actor: str, now: dt.datetime
) -> None:
    _check_move(case, status, case.root_cause, case.resolution_note, case.owner_id)
    calendar = business_calendar(session, workspace)
    if status in ("in_progress", "waiting", "resolved") and mark_first_response(case, now):
        _event(session, case, actor, "first_response")
    if status == "waiting":
        pause_resolution(case, calendar, now)
    elif case.status == "waiting":
        resume_resolution(case, calendar, now)
    if status == "resolved":
        case.resolved_at = now
    if status == "closed":
        case.closed_at = now
    if status == "reopened":
        case.reopened_count += 1
        case.resolved_at = case.closed_at = None
        # A reopened case gets a fresh resolution budget from now.
        case.resolution_due = calendar.add(
            now, sla_policy(session, workspace).resolution(case.priority)
        )
        case.warned = [w for w in (case.warned or []) if not str(w).startswith("resolution")]
        case.breached = [b for b in (case.breached or []) if not str(b).startswith("resolution")]
    _event(session, case, actor, "status", before=case.status, after=status)
    case.status = status


def case_history(
    session: Session, workspace: Workspace, case_id: int, viewer: CaseViewer | None = None
) -> list[CaseEvent]:
    """Every change of the case, oldest first."""
    case = get_case(session, workspace, case_id, viewer)
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )
