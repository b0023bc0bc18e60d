"""Shapes the pages and the API show: a case with its voice, context and clocks; rules and
improvements as plain dicts. Reads only; every write is in the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.feedback.models import Feedback
from kizuna.loop.cases import MOVES, CaseViewer, case_history, get_case
from kizuna.loop.config import business_calendar, sla_policy
from kizuna.loop.models import Case, CaseEvent, Department, Improvement, Rule
from kizuna.loop.sla import SlaState, sla_state

__all__ = ["CaseView", "case_detail", "case_dict", "case_view", "improvement_dict", "rule_dict"]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_dict(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "title": case.title,
        "status": case.status,
        "priority": case.priority,
        "department_id": case.department_id,
        "owner_id": case.owner_id,
        "owner_name": case.owner_name,
        "feedback_id": case.feedback_id,
        "customer_id": case.customer_id,
        "rule_id": case.rule_id,
        "tags": list(case.tags or []),
        "opened_at": _iso(case.opened_at),
        "first_response_due": _iso(case.first_response_due),
        "first_responded_at": _iso(case.first_responded_at),
        "resolution_due": _iso(case.resolution_due),
        "resolved_at": _iso(case.resolved_at),
        "closed_at": _iso(case.closed_at),
        "paused": case.paused_at is not None,
        "escalated_at": _iso(case.escalated_at),
        "root_cause": case.root_cause,
        "resolution_note": case.resolution_note,
        "reopened_count": case.reopened_count,
        "version": case.version,
    }


@dataclass(frozen=True)
class CaseView:
    case: Case
    voice: Feedback | None
    customer: Customer | None
    department: Department | None
    history: list[CaseEvent]
    clocks: list[SlaState]
    moves: tuple[str, ...]
    card: Any


def case_view(
    session: Session,
    workspace: Workspace,
    case_id: int,
    viewer: CaseViewer,
    *,
    with_card: bool = True,
    now: dt.datetime | None = None,
) -> CaseView:
    case = get_case(session, workspace, case_id, viewer)
    voice = session.get(Feedback, case.feedback_id) if case.feedback_id else None
    customer = session.get(Customer, case.customer_id) if case.customer_id else None
    card = None
    if with_card and customer is not None:
        from kizuna.customers.context import context_card

        try:
            card = context_card(session, workspace, customer.id)
        except NotFound:
            card = None
    calendar, policy = business_calendar(session, workspace), sla_policy(session, workspace)
    moment = now or utcnow()
    return CaseView(
        case=case,
        voice=voice,
        customer=customer,
        department=session.get(Department, case.department_id) if case.department_id else None,
        history=case_history(session, workspace, case.id, viewer),
        clocks=[
            sla_state(case, c, calendar, policy, moment) for c in ("first_response", "resolution")
        ],
        moves=MOVES[case.status],
        card=card,
    )


def case_detail(
    session: Session, workspace: Workspace, case_id: int, viewer: CaseViewer
) -> dict[str, Any]:
    view = case_view(session, workspace, case_id, viewer)
    voice = view.voice
    return {
        **case_dict(view.case),
        "department": view.department.name if view.department else None,
        "voice": None
        if voice is None
        else {
            "id": voice.id,
            "text": voice.text,
            "channel": voice.channel,
            "source": voice.source,
            "nps": voice.nps,
            "csat": voice.csat,
            "received_at": _iso(voice.received_at),
        },
        "context": None
        if view.card is None
        else {"summary_ja": view.card.summary_ja, "summary_en": view.card.summary_en},
        "sla": [
            {
                "clock": s.clock,
                "state": s.state,
                "due": _iso(s.due),
                "left_minutes": int(s.left.total_seconds() // 60) if s.left is not None else None,
            }
            for s in view.clocks
        ],
        "next_statuses": list(view.moves),
        "history": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "actor_name": e.actor_name,
                "kind": e.kind,
                "details": e.details,
                "body": e.body,
            }
            for e in view.history
        ],
    }


def rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "description": rule.description,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "status": rule.status,
        "hold_reason": rule.hold_reason,
        "max_cases_per_hour": rule.max_cases_per_hour,
        "timed": rule.timed,
        "version": rule.version,
        "last_test": rule.last_test or {},
    }


def improvement_dict(improvement: Improvement, voices: int) -> dict[str, Any]:
    return {
        "id": improvement.id,
        "title": improvement.title,
        "description": improvement.description,
        "department_id": improvement.department_id,
        "topic": improvement.topic,
        "status": improvement.status,
        "public": improvement.public,
        "shipped_at": _iso(improvement.shipped_at),
        "voices": voices,
        "version": improvement.version,
    }
