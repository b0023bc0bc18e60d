"""Cases: walked through every status with the resolution clock paused while waiting for
the customer, a warning before breach and an escalation e-mail to the department lead at
breach (real SMTP on loopback); two agents saving one case; a deleted user's cases; agents
seeing their department's cases; comments with mentions, handoffs and the full history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from loop_support import add_person, record, run_jobs
from sqlalchemy import delete, select

from kizuna import Kizuna
from kizuna.accounts.models import User
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.loop import case_list, case_notes
from kizuna.loop import cases as case_service
from kizuna.loop.cases import CaseViewer
from kizuna.loop.departments import add_department_member, create_department
from kizuna.loop.models import Case, CaseEvent
from kizuna.loop.sla import check_slas

JST = dt.timezone(dt.timedelta(hours=9))
EVERYONE = CaseViewer.everyone("user:0")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def setup(kz: Kizuna, ws: Any) -> dict[str, Any]:
    lead = add_person(kz, ws.workspace, "agent", "主任 佐藤")
    agent = add_person(kz, ws.workspace, "agent", "田中")
    outsider = add_person(kz, ws.workspace, "agent", "鈴木")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        front = create_department(session, workspace, "フロント", lead_id=lead.id)
        call = create_department(session, workspace, "コールセンター", lead_id=outsider.id)
        add_department_member(session, workspace, front.id, agent.id)
    return {"lead": lead, "agent": agent, "outsider": outsider, "front": front.id, "call": call.id}


def test_a_case_walks_every_status_with_sla_pause_warning_and_escalation(
    mail_kz: Kizuna, ws: Any, smtp_server: Any
) -> None:
    kz = mail_kz
    people = setup(kz, ws)
    fid = record(kz, ws.workspace, "v1", nps=2, text="部屋が寒くて眠れませんでした。")
    agent = CaseViewer(people["agent"].id, False, f"user:{people['agent'].id}")
    # Opened Friday 2026-05-01 15:00 JST, priority 2: first response 4 business hours
    # (Thu 5/7 10:00, after Golden Week), resolution 24 (Mon 5/11 12:00; days are 9-18).
    opened = at("2026-05-01 15:00")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        case = case_service.open_case(
            session,
            workspace,
            title="客室の室温",
            department_id=people["front"],
            priority=2,
            feedback_id=fid,
            actor="rule:1",
            settings=kz.settings,
            now=opened,
        )
        case_id = case.id
        assert case.first_response_due == at("2026-05-07 10:00")
        assert case.resolution_due == at("2026-05-11 12:00")
        assert case.customer_id is None and case.status == "new"

        def move(status: str | None = None, when: str = "2026-05-07 09:30", **kw: Any) -> Case:
            current = session.get_one(Case, case_id)
            return case_service.change_case(
                session,
                workspace,
                case_id,
                viewer=agent,
                version=current.version,
                status=status,
                settings=kz.settings,
                now=at(when),
                **kw,
            )

        # Thursday 09:00: 1 h of the 4 h budget left (more than 20%): no warning yet;
        # 09:20: 40 minutes left -> a warning, once.
        assert check_slas(session, kz.settings, workspace, now=at("2026-05-07 09:00")).warned == 0
        assert check_slas(session, kz.settings, workspace, now=at("2026-05-07 09:20")).warned == 1
        assert check_slas(session, kz.settings, workspace, now=at("2026-05-07 09:25")).warned == 0
        move(owner_id=people["agent"].id, when="2026-05-07 09:30")
        assert session.get_one(Case, case_id).status == "assigned"
        move("in_progress", "2026-05-07 09:40")
        assert session.get_one(Case, case_id).first_responded_at == at("2026-05-07 09:40")
        # Waiting for the customer from Thu 11:00 keeps the 19 business hours left
        # (Thu 7 + Fri 9 + Mon 3) and stops the clock: no breach on Tuesday.
        move("waiting", "2026-05-07 11:00")
        paused = session.get_one(Case, case_id)
        assert paused.paused_remaining_minutes == 19 * 60
        assert check_slas(session, kz.settings, workspace, now=at("2026-05-12 16:00")).breached == 0
        move("in_progress", "2026-05-11 11:00")
        resumed = session.get_one(Case, case_id)
        assert resumed.paused_at is None
        assert resumed.resolution_due == at("2026-05-13 12:00")  # 19 business hours from Mon 11:00
        # Past the new deadline: escalated to the department lead, once.
        late = check_slas(session, kz.settings, workspace, now=at("2026-05-13 14:00"))
        assert late.breached == 1
        assert check_slas(session, kz.settings, workspace, now=at("2026-05-13 15:00")).breached == 0
        move("resolved", "2026-05-13 15:00")
        with pytest.raises(InvalidInput, match="root cause"):
            move("closed", "2026-05-13 15:30")
        move(
            "closed",
            "2026-05-13 16:00",
            root_cause="facility",
            resolution_note="空調を修理し、お詫びの連絡をしました。",
        )
        move("reopened", "2026-05-14 10:00")
        reopened = session.get_one(Case, case_id)
        assert reopened.reopened_count == 1 and reopened.resolved_at is None
        move("resolved", "2026-05-14 11:00")
        move("closed", "2026-05-14 12:00")
        statuses = [
            (e.details["before"], e.details["after"])
            for e in session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == "status")
                .order_by(CaseEvent.id)
            )
        ]
        kinds = set(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))
    assert statuses == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "waiting"),
        ("waiting", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "reopened"),
        ("reopened", "resolved"),
        ("resolved", "closed"),
    ]
    assert {
        "opened",
        "sla_warning",
        "escalated",
        "first_response",
        "root_cause",
        "resolution_note",
    } <= kinds
    run_jobs(kz, ws.workspace.id, ("mail.deliver",))
    received: dict[str, list[str]] = {}
    for message in smtp_server.inbox.received:
        received.setdefault(str(message["To"]), []).append(str(message["Subject"]))
    lead_mail = received[people["lead"].email]
    assert sum("エスカレーション" in s for s in lead_mail) == 1  # the lead, at breach, once
    assert any("期限が迫って" in s for s in received[people["agent"].email])  # the warning


def test_the_later_of_two_saves_sees_the_conflict(kz: Kizuna, ws: Any) -> None:
    people = setup(kz, ws)
    with kz.session() as session:
        case = case_service.open_case(
            session, session.merge(ws.workspace), title="t", department_id=people["front"]
        )
        case_id, version = case.id, case.version
    with kz.session() as session:  # agent A saves first
        case_service.change_case(
            session,
            session.merge(ws.workspace),
            case_id,
            viewer=EVERYONE,
            version=version,
            priority=1,
        )
    with (
        kz.session() as session,
        pytest.raises(Conflict) as clash,
    ):  # agent B saves on the old version
        case_service.change_case(
            session,
            session.merge(ws.workspace),
            case_id,
            viewer=EVERYONE,
            version=version,
            priority=4,
        )
    assert "他の人が変更" in clash.value.message("ja")
    with kz.session() as session:
        assert session.get_one(Case, case_id).priority == 1


def test_agents_see_their_departments_cases_and_handoffs_move_them(kz: Kizuna, ws: Any) -> None:
    people = setup(kz, ws)
    agent = CaseViewer(people["agent"].id, False, f"user:{people['agent'].id}")
    outsider = CaseViewer(people["outsider"].id, False, f"user:{people['outsider'].id}")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        case = case_service.open_case(session, workspace, title="t", department_id=people["front"])
        assert [c.id for c in case_list.list_cases(session, workspace, agent).items] == [case.id]
        assert case_list.list_cases(session, workspace, outsider).items == []
        with pytest.raises(NotFound):
            case_service.get_case(session, workspace, case.id, outsider)
        comment = case_notes.add_comment(
            session,
            workspace,
            case.id,
            f"@{people['outsider'].email.split('@')[0]} 確認お願いします",
            viewer=agent,
        )
        assert comment.details["mentions"] == [people["outsider"].id]
        case_notes.hand_off(
            session,
            workspace,
            case.id,
            people["call"],
            "電話で確認してください",
            viewer=agent,
            version=case.version,
        )
        moved = session.get_one(Case, case.id)
        assert (moved.department_id, moved.owner_id, moved.status) == (people["call"], None, "new")
        assert case_list.list_cases(session, workspace, outsider).total == 1
        history = case_service.case_history(session, workspace, case.id)
        handoff = next(e for e in history if e.kind == "handoff")
        assert handoff.body == "電話で確認してください" and handoff.actor_name == "田中"


def test_a_deleted_users_cases_stay_readable_and_reassignable(kz: Kizuna, ws: Any) -> None:
    people = setup(kz, ws)
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        case = case_service.open_case(session, workspace, title="t", department_id=people["front"])
        case_service.change_case(
            session, workspace, case.id, viewer=EVERYONE, version=None, owner_id=people["agent"].id
        )
        case_id = case.id
    with kz.session() as session:
        session.execute(delete(User).where(User.id == people["agent"].id))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        orphan = case_service.get_case(session, workspace, case_id)
        assert (orphan.owner_id, orphan.owner_name) == (None, "田中")
        assert any(
            e.kind == "assigned" for e in case_service.case_history(session, workspace, case_id)
        )
        result = case_list.assign_cases(
            session, workspace, [case_id], people["lead"].id, viewer=EVERYONE
        )
        assert result.assigned == [case_id]
        assert session.get_one(Case, case_id).owner_name == "主任 佐藤"
