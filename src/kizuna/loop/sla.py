"""SLA clocks of cases, counted in business time (`kizuna.analytics.calendar`).

A case gets two deadlines when it opens: first response and resolution, the policy's
business hours for its priority after `opened_at`. Waiting for the customer pauses the
resolution clock: the business time left is kept (`paused_remaining_minutes`) and the
deadline is set again from the moment work resumes. The first response counts as done
when someone starts work, asks the customer (waiting), replies or resolves.

`check_slas` (the `loop.sla_check` schedule, every five minutes) warns the owner (or the
department, when nobody owns the case) once a clock has used `warn_ratio` of its budget,
and at breach records it and escalates to the department lead, each once per clock and
deadline (keyed mail), and adds both to the case's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.calendar import BusinessCalendar
from kizuna.db.base import utcnow
from kizuna.loop.config import SlaPolicy, business_calendar, sla_policy
from kizuna.loop.models import OPEN_STATUSES, Case, CaseEvent, Department, DepartmentMember
from kizuna.loop.notify import Notice, notify_address, notify_user
from kizuna.settings import Settings

__all__ = [
    "SlaCheck",
    "check_slas",
    "mark_first_response",
    "pause_resolution",
    "resume_resolution",
    "set_deadlines",
    "sla_state",
]

CLOCKS = ("first_response", "resolution")


def set_deadlines(case: Case, calendar: BusinessCalendar, policy: SlaPolicy) -> None:
    """Both deadlines from `opened_at` and the case's priority."""
    case.first_response_due = calendar.add(case.opened_at, policy.first_response(case.priority))
    case.resolution_due = calendar.add(case.opened_at, policy.resolution(case.priority))


def mark_first_response(case: Case, now: dt.datetime) -> bool:
    if case.first_responded_at is None:
        case.first_responded_at = now
        return True
    return False


def pause_resolution(case: Case, calendar: BusinessCalendar, now: dt.datetime) -> None:
    """Stop the resolution clock (waiting for the customer), keeping the business time left."""
    if case.paused_at is not None or case.resolution_due is None:
        return
    left = calendar.between(now, case.resolution_due)
    case.paused_at = now
    case.paused_remaining_minutes = int(left.total_seconds() // 60)


def resume_resolution(case: Case, calendar: BusinessCalendar, now: dt.datetime) -> None:
    """Start the resolution clock again: the kept business time counts from now."""
    if case.paused_at is None:
        return
    left = case.paused_remaining_minutes or 0
    if left > 0:
        case.resolution_due = calendar.add(now, dt.timedelta(minutes=left))
    case.paused_at = None
    case.paused_remaining_minutes = None


@dataclass(frozen=True)
class SlaState:
    """How a clock stands: 'met', 'breached', 'paused', 'warning', 'on_track' or 'none'."""

    clock: str
    state: str
    due: dt.datetime | None
    left: dt.timedelta | None


def sla_state(
    case: Case, clock: str, calendar: BusinessCalendar, policy: SlaPolicy, now: dt.datetime
) -> SlaState:
    due = case.first_response_due if clock == "first_response" else case.resolution_due
    done = case.first_responded_at if clock == "first_response" else case.resolved_at
    if due is None:
        return SlaState(clock, "none", None, None)
    if done is not None:
        return SlaState(clock, "met" if done <= due else "breached", due, None)
    if clock == "resolution" and case.paused_at is not None:
        minutes = case.paused_remaining_minutes or 0
        return SlaState(clock, "paused", due, dt.timedelta(minutes=minutes))
    left = calendar.between(now, due)
    if left <= dt.timedelta(0):
        return SlaState(clock, "breached", due, left)
    budget = (
        policy.first_response(case.priority)
        if clock == "first_response"
        else policy.resolution(case.priority)
    )
    warn = left <= budget * (1 - policy.warn_ratio)
    return SlaState(clock, "warning" if warn else "on_track", due, left)


@dataclass(frozen=True)
class SlaCheck:
    warned: int
    breached: int


def check_slas(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    now: dt.datetime | None = None,
) -> SlaCheck:
    """Warn and escalate the workspace's open cases (each warning and escalation once)."""
    now = now or utcnow()
    calendar, policy = business_calendar(session, workspace), sla_policy(session, workspace)
    cases = session.scalars(
        select(Case).where(Case.workspace_id == workspace.id, Case.status.in_(OPEN_STATUSES))
    )
    warned = breached = 0
    for case in cases:
        for clock in CLOCKS:
            state = sla_state(case, clock, calendar, policy, now)
            stamp = f"{clock}@{state.due:%Y%m%dT%H%M}" if state.due else clock
            if state.state == "warning" and stamp not in (case.warned or []):
                case.warned = [*(case.warned or []), stamp]
                _history(session, case, "sla_warning", clock=clock, due=_iso(state.due))
                _warn(session, settings, workspace, case, clock, stamp)
                warned += 1
            elif state.state == "breached" and stamp not in (case.breached or []):
                case.breached = [*(case.breached or []), stamp]
                case.escalated_at = now
                _history(session, case, "escalated", clock=clock, due=_iso(state.due))
                _escalate(session, settings, workspace, case, clock, stamp)
                breached += 1
    session.flush()
    return SlaCheck(warned, breached)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _history(session: Session, case: Case, kind: str, **details: object) -> None:
    session.add(
        CaseEvent(
            workspace_id=case.workspace_id,
            case_id=case.id,
            actor="system",
            actor_name="",
            kind=kind,
            details=details,
        )
    )


_CLOCK_NAMES = {
    "first_response": ("first response", "初回対応"),
    "resolution": ("resolution", "解決"),
}


def _warn(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    case: Case,
    clock: str,
    stamp: str,
) -> None:
    en, ja = _CLOCK_NAMES[clock]
    notice = Notice(
        (f"Case #{case.id}: {en} deadline is near", f"ケース #{case.id}: {ja}の期限が迫っています"),
        [
            (f"{case.title}", f"{case.title}"),
            (
                f"The {en} deadline is {case_due_text(case, clock, workspace, 'en')}.",
                f"{ja}の期限は {case_due_text(case, clock, workspace, 'ja')} です。",
            ),
        ],
        f"cases/{case.id}",
    )
    key = f"loop.sla-warn:{case.id}:{stamp}"
    if case.owner_id is not None:
        notify_user(session, settings, workspace, case.owner_id, key, notice)
        return
    for user_id in _department_people(session, case.department_id):
        notify_user(session, settings, workspace, user_id, f"{key}:{user_id}", notice)


def _escalate(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    case: Case,
    clock: str,
    stamp: str,
) -> None:
    en, ja = _CLOCK_NAMES[clock]
    notice = Notice(
        (
            f"Escalated: case #{case.id} missed its {en} deadline",
            f"エスカレーション: ケース #{case.id} が{ja}の期限を過ぎました",
        ),
        [
            (case.title, case.title),
            (
                f"The {en} deadline was {case_due_text(case, clock, workspace, 'en')}. "
                "As the department lead, please see that it is handled.",
                f"{ja}の期限は {case_due_text(case, clock, workspace, 'ja')} でした。"
                "部署の責任者として対応をご確認ください。",
            ),
        ],
        f"cases/{case.id}",
    )
    department = session.get(Department, case.department_id) if case.department_id else None
    key = f"loop.escalate:{case.id}:{stamp}"
    if department is not None and department.lead_id is not None:
        notify_user(session, settings, workspace, department.lead_id, key, notice)
    elif department is not None and department.email:
        notify_address(session, settings, workspace, department.email, key, notice)


def case_due_text(case: Case, clock: str, workspace: Workspace, language: str) -> str:
    from zoneinfo import ZoneInfo

    due = case.first_response_due if clock == "first_response" else case.resolution_due
    if due is None:
        return "-"
    local = due.astimezone(ZoneInfo(workspace.timezone))
    return f"{local:%Y-%m-%d %H:%M}"


def _department_people(session: Session, department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(
        session.scalars(
            select(DepartmentMember.user_id).where(DepartmentMember.department_id == department_id)
        )
    )
