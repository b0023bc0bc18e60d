"""The rule engine: every new voice against every active rule, in bulk, once.

`run_rules_on_voices` subscribes to `voice.analyzed` (imports, the API, survey answers
recorded with `record_voice(..., source="survey")`: every voice comes through it). A
re-analysis (`reanalysis=True`) fires nothing again. The voices of one event are read into
one frame (`kizuna.loop.facts.voice_frame`) and each rule is evaluated over all of them at
once (`kizuna.analytics.conditions.evaluate_frame`). A rule fires at most once per voice
(`loop_rule_match`, unique per rule and voice), whatever re-delivers the event.

A rule that has opened `max_cases_per_hour` cases within the last hour is held (status
"held", reason "rate") with an audit entry instead of flooding a department; the voices
it had not acted on yet are left for when someone looks at it. Rules on time
(`days_without_reply`) run from the hourly `loop.timed_rules` schedule instead
(`run_timed_rules`). Notifications go through the outbox and the webhook queue, so a
slow mail server or a dead endpoint never holds the engine up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.conditions import evaluate_frame, referenced_fields
from kizuna.db.base import utcnow
from kizuna.feedback.events import VoicesAnalyzed
from kizuna.feedback.models import Feedback
from kizuna.loop.cases import open_case
from kizuna.loop.config import business_calendar, sla_policy
from kizuna.loop.departments import get_department
from kizuna.loop.facts import voice_frame
from kizuna.loop.models import Case, Rule, RuleMatch, VoiceTag
from kizuna.loop.notify import Notice, notify_address, notify_user
from kizuna.loop.praise import list_praise_targets, route_praise
from kizuna.loop.webhooks import get_webhook, queue_delivery
from kizuna.mail.models import insert_once
from kizuna.settings import Settings

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["RuleRun", "apply_rules", "run_rules_on_voices", "run_timed_rules"]

TIMED_LOOKBACK_DAYS = 90
_CHUNK = 5000


class RuleRun:
    """What one pass of the engine did: matches per rule, cases opened, rules held."""

    def __init__(self) -> None:
        self.matched: dict[int, int] = {}
        self.cases: list[int] = []
        self.held: list[int] = []

    def __repr__(self) -> str:
        return f"RuleRun(matched={self.matched}, cases={len(self.cases)}, held={self.held})"


def run_rules_on_voices(kz: Kizuna, session: Session, event: VoicesAnalyzed) -> None:
    """Subscriber of `voice.analyzed`: the workspace's active rules over the new voices."""
    if event.reanalysis:
        return
    workspace = session.get(Workspace, event.workspace_id)
    if workspace is None:
        return
    rules = active_rules(session, workspace, timed=False)
    if not rules:
        return
    ids = event.feedback_ids
    for start in range(0, len(ids), _CHUNK):
        apply_rules(
            session,
            kz.settings,
            workspace,
            rules,
            ids[start : start + _CHUNK],
            engine_version=event.engine_version,
        )


def active_rules(session: Session, workspace: Workspace, *, timed: bool) -> list[Rule]:
    return list(
        session.scalars(
            select(Rule)
            .where(
                Rule.workspace_id == workspace.id, Rule.status == "active", Rule.timed.is_(timed)
            )
            .order_by(Rule.id)
        )
    )


def apply_rules(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    rules: Sequence[Rule],
    feedback_ids: Sequence[int],
    *,
    engine_version: str | None = None,
    now: dt.datetime | None = None,
    frame: pd.DataFrame | None = None,
) -> RuleRun:
    """Evaluate the rules over the voices and act on each first match of a rule and voice."""
    run = RuleRun()
    if not rules or not feedback_ids:
        return run
    now = now or utcnow()
    if frame is None:
        wanted = {"text", "customer_id"}
        for rule in rules:
            wanted |= set(referenced_fields(rule.conditions))
        frame = voice_frame(
            session, workspace, feedback_ids, wanted=wanted, engine_version=engine_version, now=now
        )
    if frame.empty:
        return run
    employee = (frame["source"] == "employee").to_numpy()  # eNPS answers are not customer voices
    prepared: dict[tuple[str, str], Any] = {}  # columns prepared once for all the rules
    for rule in rules:
        mask = evaluate_frame(rule.conditions, frame, prepared) & ~employee
        if not mask.any():
            continue
        hits = [int(i) for i in frame.index[mask]]
        fresh = _record_matches(session, workspace, rule, hits, now)
        run.matched[rule.id] = len(fresh)
        if fresh:
            _act(session, settings, workspace, rule, fresh, frame, run, now)
    return run


def _record_matches(
    session: Session, workspace: Workspace, rule: Rule, hits: list[int], now: dt.datetime
) -> list[int]:
    """The voices this rule had not matched before (their match rows are added by `_act`)."""
    known = set(
        session.scalars(
            select(RuleMatch.feedback_id).where(
                RuleMatch.rule_id == rule.id, RuleMatch.feedback_id.in_(hits)
            )
        )
    )
    return [h for h in hits if h not in known]


def _act(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    rule: Rule,
    fresh: list[int],
    frame: pd.DataFrame,
    run: RuleRun,
    now: dt.datetime,
) -> None:
    opens = [a for a in rule.actions if a.get("type") == "open_case"]
    budget = None
    if opens:
        recent = session.scalar(
            select(func.count()).where(
                Case.workspace_id == workspace.id,
                Case.rule_id == rule.id,
                Case.opened_at >= now - dt.timedelta(hours=1),
            )
        )
        budget = max(0, rule.max_cases_per_hour - int(recent or 0))
    targets = (
        list_praise_targets(session, workspace)
        if any(a.get("type") == "praise" for a in rule.actions)
        else []
    )
    clocks = (
        (business_calendar(session, workspace), sla_policy(session, workspace)) if opens else None
    )
    rows: dict[int, dict[str, Any]] = frame.loc[fresh].to_dict("index")  # type: ignore[assignment]
    done: list[dict[str, Any]] = []
    for position, fid in enumerate(fresh):
        if budget is not None and budget <= 0:
            _hold(session, workspace, rule, fresh[position:], run)
            break
        row = rows[fid]
        case_id = None
        for index, action in enumerate(rule.actions):
            kind = action.get("type")
            if kind == "open_case":
                case = open_case(
                    session,
                    workspace,
                    title=_title(rule, action, row),
                    department_id=action.get("department_id"),
                    priority=int(action.get("priority", 3)),
                    feedback_id=fid,
                    rule_id=rule.id,
                    tags=[a["tag"] for a in rule.actions if a.get("type") == "tag"],
                    actor=f"rule:{rule.id}",
                    settings=settings,
                    now=now,
                    clocks=clocks,
                )
                case_id = case.id
                run.cases.append(case.id)
                if budget is not None:
                    budget -= 1
            elif kind == "email":
                _email(session, settings, workspace, rule, action, fid, row, index)
            elif kind == "webhook":
                hook = get_webhook(session, workspace, int(action["webhook_id"]))
                if hook.active:
                    queue_delivery(
                        session,
                        hook,
                        "rule.matched",
                        _payload(rule, fid, row, case_id),
                        f"rule:{rule.id}:{fid}",
                    )
            elif kind == "tag":
                insert_once(
                    session,
                    VoiceTag,
                    {
                        "workspace_id": workspace.id,
                        "feedback_id": fid,
                        "tag": action["tag"],
                        "rule_id": rule.id,
                        "created_at": now,
                    },
                    ("workspace_id", "feedback_id", "tag"),
                )
            elif kind == "praise":
                route_praise(session, workspace, [fid], {fid: _text(row)}, targets)
        done.append(
            {
                "workspace_id": workspace.id,
                "rule_id": rule.id,
                "feedback_id": fid,
                "case_id": case_id,
                "matched_at": now,
                "outcome": "done",
            }
        )
    if done:
        session.execute(insert(RuleMatch), done)


def _hold(
    session: Session, workspace: Workspace, rule: Rule, left: list[int], run: RuleRun
) -> None:
    """Too many cases this hour: hold the rule; the voices not acted on stay unmatched."""
    rule.status, rule.hold_reason = "held", "rate"
    rule.version += 1
    run.held.append(rule.id)
    record_audit(
        session,
        workspace,
        "system",
        "rule.hold",
        f"rule:{rule.id}",
        reason="rate",
        waiting=len(left),
    )


def _text(row: Mapping[str, Any]) -> str | None:
    text = row.get("text")
    return None if text is None or text != text else str(text)


def _title(rule: Rule, action: dict[str, Any], row: Mapping[str, Any]) -> str:
    if action.get("title"):
        return str(action["title"])[:300]
    text = (_text(row) or "").replace("\n", " ")
    snippet = text[:60] + ("…" if len(text) > 60 else "")
    return f"{rule.name}: {snippet}"[:300] if snippet else rule.name[:300]


def _payload(rule: Rule, fid: int, row: Mapping[str, Any], case_id: int | None) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if value is None or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, frozenset | set | tuple):
            return sorted(value)
        if hasattr(value, "item"):
            return value.item()
        return value

    return {
        "rule_id": rule.id,
        "rule": rule.name,
        "feedback_id": fid,
        "case_id": case_id,
        "customer_id": plain(row.get("customer_id")),
        "channel": plain(row.get("channel")),
        "nps": plain(row.get("nps")),
        "sentiment": plain(row.get("sentiment")),
        "topics": plain(row.get("topics")),
        "text": _text(row),
    }


def _email(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    rule: Rule,
    action: dict[str, Any],
    fid: int,
    row: Mapping[str, Any],
    index: int,
) -> None:
    text = (_text(row) or "")[:500]
    notice = Notice(
        (f"Rule “{rule.name}” matched a voice", f"ルール「{rule.name}」に一致した声があります"),
        [(text, text)] if text else [],
        f"rules/{rule.id}",
    )
    key = f"loop.rule:{rule.id}:{fid}:{index}"
    for n, address in enumerate(action.get("to") or []):
        notify_address(session, settings, workspace, address, f"{key}:{n}", notice)
    if action.get("department_id") is not None:
        department = get_department(session, workspace, int(action["department_id"]))
        if department.email:
            notify_address(session, settings, workspace, department.email, f"{key}:d", notice)
        elif department.lead_id is not None:
            notify_user(session, settings, workspace, department.lead_id, f"{key}:l", notice)


def run_timed_rules(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    now: dt.datetime | None = None,
) -> RuleRun:
    """The workspace's active rules on time over the last 90 days' voices they have not matched."""
    now = now or utcnow()
    total = RuleRun()
    for rule in active_rules(session, workspace, timed=True):
        matched = select(RuleMatch.feedback_id).where(RuleMatch.rule_id == rule.id)
        ids = list(
            session.scalars(
                select(Feedback.id)
                .where(
                    Feedback.workspace_id == workspace.id,
                    Feedback.received_at >= now - dt.timedelta(days=TIMED_LOOKBACK_DAYS),
                    Feedback.id.not_in(matched),
                )
                .order_by(Feedback.id)
            )
        )
        for start in range(0, len(ids), _CHUNK):
            run = apply_rules(
                session, settings, workspace, [rule], ids[start : start + _CHUNK], now=now
            )
            total.matched[rule.id] = total.matched.get(rule.id, 0) + run.matched.get(rule.id, 0)
            total.cases += run.cases
            total.held += run.held
            if run.held:
                break
    return total
