"""Talking about a case: comments with @mentions (the people named are told) and handoffs
to another department with a note (the case waits there, unassigned). Each is a
`loop_case_event` row, as every change of a case is (`kizuna.loop.cases`)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import User, Workspace
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.jobs.events import raise_event
from kizuna.loop.cases import CaseViewer, _bump, _event, get_case
from kizuna.loop.config import business_calendar
from kizuna.loop.departments import get_department, member_names
from kizuna.loop.events import CaseChanged
from kizuna.loop.models import OPEN_STATUSES, Case, CaseEvent
from kizuna.loop.notify import Notice, notify_user
from kizuna.loop.sla import resume_resolution
from kizuna.settings import Settings

__all__ = ["add_comment", "hand_off"]

_MENTION = re.compile(r"@([\w.+-]+(?:@[\w.-]+)?)")


def add_comment(
    session: Session,
    workspace: Workspace,
    case_id: int,
    body: str,
    *,
    viewer: CaseViewer,
    settings: Settings | None = None,
) -> CaseEvent:
    """A comment on the case; people @mentioned (by e-mail or its name part) are told."""
    text = (body or "").strip()
    if not text or len(text) > 5000:
        raise InvalidInput(
            "A comment is 1 to 5,000 characters.",
            "コメントは1〜5,000文字で入力してください。",
        )
    case = get_case(session, workspace, case_id, viewer)
    names = member_names(session, workspace)
    mentioned = _mentions(session, workspace, text, names)
    event = _event(session, case, viewer.actor, "comment", body=text, mentions=sorted(mentioned))
    case.updated_at = utcnow()
    session.flush()
    for user_id in mentioned:
        notice = Notice(
            (
                f"You were mentioned on case #{case.id}",
                f"ケース #{case.id} であなた宛てのコメントがあります",
            ),
            [(case.title, case.title), (text[:500], text[:500])],
            f"cases/{case.id}",
        )
        notify_user(
            session, settings, workspace, user_id, f"loop.mention:{event.id}:{user_id}", notice
        )
    record_audit(
        session, workspace, viewer.actor, "case.comment", f"case:{case.id}", mentions=len(mentioned)
    )
    return event


def _mentions(session: Session, workspace: Workspace, text: str, names: dict[int, str]) -> set[int]:
    if "@" not in text:
        return set()
    emails: dict[int, str] = {
        uid: email
        for uid, email in session.execute(
            select(User.id, User.email).where(User.id.in_(list(names)))
        )
    }
    found: set[int] = set()
    for token in _MENTION.findall(text):
        wanted = token.lower()
        for user_id, email in emails.items():
            local = email.split("@", 1)[0].lower()
            display = names.get(user_id, "").replace(" ", "").lower()
            if wanted in (email.lower(), local, display):
                found.add(user_id)
    return found


def hand_off(
    session: Session,
    workspace: Workspace,
    case_id: int,
    department_id: int,
    note: str,
    *,
    viewer: CaseViewer,
    version: int | None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Pass the case to another department with a note: it waits there, unassigned."""
    now = now or utcnow()
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            "A handoff needs a note for the receiving department.",
            "引き継ぎには、受け取る部署へのメモが必要です。",
        )
    case = get_case(session, workspace, case_id, viewer)
    if case.status not in OPEN_STATUSES:
        raise InvalidInput(
            "Only an open case can be handed off; reopen it first.",
            "引き継げるのは対応中のケースだけです。先に再開してください。",
        )
    target = get_department(session, workspace, department_id)
    if target.id == case.department_id:
        raise InvalidInput(
            "The case is already with that department.",
            "このケースはすでにその部署にあります。",
        )
    _bump(session, case, version, now)
    _event(
        session,
        case,
        viewer.actor,
        "handoff",
        body=note[:5000],
        before=case.department_id,
        after=target.id,
    )
    if case.paused_at is not None:
        resume_resolution(case, business_calendar(session, workspace), now)
    case.department_id = target.id
    case.owner_id, case.owner_name = None, None
    if case.status != "new":
        _event(session, case, viewer.actor, "status", before=case.status, after="new")
        case.status = "new"
    session.flush()
    notice = Notice(
        (
            f"Case #{case.id} handed to {target.name}",
            f"ケース #{case.id} が{target.name}に引き継がれました",
        ),
        [(case.title, case.title), (note[:500], note[:500])],
        f"cases/{case.id}",
    )
    if target.lead_id is not None:
        notify_user(
            session,
            settings,
            workspace,
            target.lead_id,
            f"loop.handoff:{case.id}:{case.version}",
            notice,
        )
    record_audit(
        session, workspace, viewer.actor, "case.handoff", f"case:{case.id}", department_id=target.id
    )
    raise_event(
        session,
        CaseChanged(
            workspace_id=workspace.id, case_id=case.id, status=case.status, change="department"
        ),
    )
    return case
