"""Rules: when a voice meets the conditions, open a case, notify, tag or route praise.

A rule is conditions in the one condition language (`kizuna.analytics.conditions`) over
the fields of `kizuna.loop.facts` and a list of actions:

    {"type": "open_case", "department_id": 3, "priority": 2, "title": "..."}
    {"type": "email", "to": ["cx@example.jp"]}  or  {"type": "email", "department_id": 3}
    {"type": "webhook", "webhook_id": 1}
    {"type": "tag", "tag": "breakfast"}
    {"type": "praise"}                      # the staff, team or store the voice names

A rule is refused when it names a field that does not exist, when it can never match
(`nps gte 11`, `nps gte 9` with `nps lte 6`, a sentiment that does not exist) or when an
action points nowhere. `test_rule` shows what it would have matched over the last 30
days; switching it on (`activate_rule`) runs that test first and holds the rule, with a
warning, when it would open more than `max_cases_per_hour` cases in some hour or when a
field it needs has had no values (say, CLV before customers were ever scored).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.conditions import (
    evaluate_frame,
    impossible,
    referenced_fields,
    validate_conditions,
)
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.feedback.models import Feedback
from kizuna.loop.departments import get_department
from kizuna.loop.facts import RULE_FIELDS, TIME_FIELDS, voice_frame
from kizuna.loop.models import PRIORITIES, Rule
from kizuna.loop.webhooks import get_webhook

__all__ = [
    "ACTION_TYPES",
    "RuleTest",
    "activate_rule",
    "check_actions",
    "check_rule_conditions",
    "create_rule",
    "deactivate_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "test_rule",
    "update_rule",
]

ACTION_TYPES = ("open_case", "email", "webhook", "tag", "praise")
TEST_DAYS = 30
_CHUNK = 5000


def _refuse(en: str, ja: str, **details: Any) -> InvalidInput:
    return InvalidInput(en, ja, **details)


def check_rule_conditions(conditions: Any) -> Any:
    """Validated conditions, or InvalidInput: unknown fields, bad values, never matching."""
    checked = validate_conditions(conditions, RULE_FIELDS)
    if not referenced_fields(checked):
        raise _refuse(
            "A rule needs at least one condition; without one it would act on every voice.",
            "ルールには少なくとも1つの条件が必要です。条件がないとすべての声に反応してしまいます。",
        )
    never = impossible(checked, RULE_FIELDS)
    if never is not None:
        raise _refuse(
            f"This rule can never match: {never.en} Change the condition.",
            f"このルールは決して一致しません: {never.ja} 条件を見直してください。",
            reason="never_matches",
        )
    return checked


def check_actions(session: Session, workspace: Workspace, actions: Any) -> list[dict[str, Any]]:
    """Validated actions, each pointing at something that exists; InvalidInput otherwise."""
    if not isinstance(actions, list) or not actions:
        raise _refuse(
            f"A rule needs at least one action ({', '.join(ACTION_TYPES)}).",
            f"ルールには少なくとも1つのアクション({', '.join(ACTION_TYPES)})が必要です。",
        )
    out = []
    for i, action in enumerate(actions, start=1):
        kind = action.get("type") if isinstance(action, dict) else None
        if kind not in ACTION_TYPES:
            raise _refuse(
                f"Action {i}: unknown type {kind!r}; use one of {', '.join(ACTION_TYPES)}.",
                f"アクション {i}: 種類 {kind!r} は使えません。{', '.join(ACTION_TYPES)} のいずれかです。",
                action=i,
            )
        assert isinstance(action, dict)
        clean: dict[str, Any] = {"type": kind}
        if kind == "open_case":
            priority = action.get("priority", 3)
            if priority not in PRIORITIES:
                raise _refuse(
                    f"Action {i}: priority is 1 (urgent) to 4 (low).",
                    f"アクション {i}: 優先度は 1(緊急)〜4(低)です。",
                    action=i,
                )
            department = action.get("department_id")
            if department is not None:
                get_department(session, workspace, int(department))
            clean.update(
                priority=priority,
                department_id=int(department) if department is not None else None,
                title=str(action.get("title") or "")[:200],
            )
        elif kind == "email":
            to = action.get("to") or []
            department = action.get("department_id")
            if isinstance(to, str):
                to = [to]
            if department is not None:
                get_department(session, workspace, int(department))
            if (not to and department is None) or any("@" not in str(a) for a in to):
                raise _refuse(
                    f"Action {i}: an e-mail goes to addresses (to) or a department (department_id).",
                    f"アクション {i}: メールの宛先(to)か部署(department_id)を指定してください。",
                    action=i,
                )
            clean.update(to=[str(a).strip() for a in to], department_id=department)
        elif kind == "webhook":
            hook = action.get("webhook_id")
            if hook is None:
                raise _refuse(
                    f"Action {i}: a webhook action names its webhook_id.",
                    f"アクション {i}: Webhook の webhook_id を指定してください。",
                    action=i,
                )
            get_webhook(session, workspace, int(hook))
            clean["webhook_id"] = int(hook)
        elif kind == "tag":
            tag = str(action.get("tag") or "").strip()
            if not tag or len(tag) > 64:
                raise _refuse(
                    f"Action {i}: a tag is 1 to 64 characters.",
                    f"アクション {i}: タグは1〜64文字で指定してください。",
                    action=i,
                )
            clean["tag"] = tag
        out.append(clean)
    return out


def _check_limit(limit: Any) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
        raise _refuse(
            "max_cases_per_hour is a whole number from 1 to 10,000.",
            "max_cases_per_hour(1時間あたりの最大ケース数)は 1〜10,000 の整数で指定してください。",
        )
    return limit


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise _refuse(
            "A rule needs a name of 1 to 200 characters.",
            "ルール名は1〜200文字で指定してください。",
        )
    return name.strip()


def create_rule(
    session: Session,
    workspace: Workspace,
    name: str,
    conditions: Any,
    actions: Any,
    *,
    description: str = "",
    max_cases_per_hour: int = 20,
    actor: str = "system",
) -> Rule:
    """A new rule, switched off (draft) until `activate_rule`; audited."""
    checked = check_rule_conditions(conditions)
    rule = Rule(
        workspace_id=workspace.id,
        name=_check_name(name),
        description=(description or "")[:2000],
        conditions=checked,
        actions=check_actions(session, workspace, actions),
        status="draft",
        max_cases_per_hour=_check_limit(max_cases_per_hour),
        timed=bool(set(referenced_fields(checked)) & TIME_FIELDS),
        created_by=actor,
        version=1,
        last_test={},
    )
    session.add(rule)
    session.flush()
    record_audit(session, workspace, actor, "rule.create", f"rule:{rule.id}")
    return rule


def get_rule(session: Session, workspace: Workspace, rule_id: int) -> Rule:
    found = session.scalar(
        select(Rule).where(Rule.workspace_id == workspace.id, Rule.id == rule_id)
    )
    if found is None:
        raise NotFound(
            f"Rule {rule_id} does not exist in this workspace. See the list of rules.",
            f"ルール {rule_id} はこのワークスペースにありません。ルール一覧を確認してください。",
            rule_id=rule_id,
        )
    return found


def list_rules(session: Session, workspace: Workspace, status: str | None = None) -> list[Rule]:
    query = select(Rule).where(Rule.workspace_id == workspace.id)
    if status:
        query = query.where(Rule.status == status)
    return list(session.scalars(query.order_by(Rule.name, Rule.id)))


def update_rule(
    session: Session,
    workspace: Workspace,
    rule_id: int,
    *,
    version: int | None = None,
    name: str | None = None,
    conditions: Any = None,
    actions: Any = None,
    description: str | None = None,
    max_cases_per_hour: int | None = None,
    actor: str = "system",
) -> Rule:
    """Change a rule; a changed active rule goes back to draft until tested and switched on."""
    rule = get_rule(session, workspace, rule_id)
    if version is not None and version != rule.version:
        raise Conflict(
            f"Rule {rule.id} was changed by someone else (now version {rule.version}); reload it.",
            f"ルール {rule.id} は他の人が変更しました(現在の版 {rule.version})。読み込み直してください。",
        )
    touched = False
    if name is not None:
        rule.name = _check_name(name)
    if description is not None:
        rule.description = description[:2000]
    if conditions is not None:
        rule.conditions = check_rule_conditions(conditions)
        rule.timed = bool(set(referenced_fields(rule.conditions)) & TIME_FIELDS)
        touched = True
    if actions is not None:
        rule.actions = check_actions(session, workspace, actions)
        touched = True
    if max_cases_per_hour is not None:
        rule.max_cases_per_hour = _check_limit(max_cases_per_hour)
        touched = True
    if touched and rule.status in ("active", "held"):
        rule.status, rule.hold_reason = "draft", None
    rule.version += 1
    rule.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "rule.update", f"rule:{rule.id}")
    return rule


def delete_rule(
    session: Session, workspace: Workspace, rule_id: int, *, actor: str = "system"
) -> None:
    session.delete(get_rule(session, workspace, rule_id))
    session.flush()
    record_audit(session, workspace, actor, "rule.delete", f"rule:{rule_id}")


@dataclass
class RuleTest:
    """What a rule would have matched over the last `days` days."""

    days: int
    examined: int
    matched: int
    by_day: dict[str, int]
    max_per_hour: int
    would_open_cases: bool
    limit: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    empty_fields: list[str] = field(default_factory=list)

    @property
    def too_many(self) -> bool:
        return self.would_open_cases and self.max_per_hour > self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "examined": self.examined,
            "matched": self.matched,
            "by_day": self.by_day,
            "max_per_hour": self.max_per_hour,
            "would_open_cases": self.would_open_cases,
            "limit": self.limit,
            "too_many": self.too_many,
            "empty_fields": self.empty_fields,
            "samples": self.samples,
        }


def test_rule(
    session: Session,
    workspace: Workspace,
    conditions: Any,
    actions: Sequence[dict[str, Any]] = (),
    *,
    limit: int = 20,
    days: int = TEST_DAYS,
    now: dt.datetime | None = None,
) -> RuleTest:
    """Run the conditions over the voices of the last `days` days; nothing is written."""
    from zoneinfo import ZoneInfo

    checked = check_rule_conditions(conditions)
    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    ids = list(
        session.scalars(
            select(Feedback.id)
            .where(
                Feedback.workspace_id == workspace.id,
                Feedback.received_at >= since,
                Feedback.received_at <= now,
                Feedback.source != "employee",
            )
            .order_by(Feedback.id)
        )
    )
    wanted = set(referenced_fields(checked))
    needed = wanted | {"received_at", "text"}
    zone = ZoneInfo(workspace.timezone)
    per_day: Counter[str] = Counter()
    per_hour: Counter[str] = Counter()
    seen_values: Counter[str] = Counter()
    matched = 0
    samples: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        frame = voice_frame(session, workspace, ids[start : start + _CHUNK], wanted=needed, now=now)
        for name in wanted:
            if name in frame.columns:
                seen_values[name] += int(frame[name].notna().sum())
        mask = evaluate_frame(checked, frame)
        hits = frame[mask]
        matched += len(hits)
        for fid, received, text in zip(hits.index, hits["received_at"], hits["text"], strict=True):
            local = received.astimezone(zone)
            per_day[local.strftime("%Y-%m-%d")] += 1
            per_hour[local.strftime("%Y-%m-%d %H")] += 1
            if len(samples) < 10:
                samples.append(
                    {
                        "feedback_id": int(fid),
                        "received_at": received.isoformat(),
                        "text": (text or "")[:200],
                    }
                )
    empty = sorted(name for name in wanted if ids and seen_values[name] == 0)
    return RuleTest(
        days=days,
        examined=len(ids),
        matched=matched,
        by_day=dict(sorted(per_day.items())),
        max_per_hour=max(per_hour.values(), default=0),
        would_open_cases=any(a.get("type") == "open_case" for a in actions),
        limit=limit,
        samples=samples,
        empty_fields=empty,
    )


def activate_rule(
    session: Session,
    workspace: Workspace,
    rule_id: int,
    *,
    force: bool = False,
    actor: str = "system",
    now: dt.datetime | None = None,
) -> tuple[Rule, RuleTest]:
    """Test the rule over the last 30 days, then switch it on, or hold it with the reason.

    Held ("rate"): some hour would have opened more than max_cases_per_hour cases; raise the
    limit or narrow the conditions. Held ("no_data"): a field it needs had no values in 30
    days, so it would likely never fire; `force` switches it on anyway.
    """
    rule = get_rule(session, workspace, rule_id)
    result = test_rule(
        session, workspace, rule.conditions, rule.actions, limit=rule.max_cases_per_hour, now=now
    )
    rule.last_test = {**result.as_dict(), "tested_at": (now or utcnow()).isoformat()}
    if result.too_many:
        rule.status, rule.hold_reason = "held", "rate"
    elif result.empty_fields and not force:
        rule.status, rule.hold_reason = "held", "no_data"
    else:
        rule.status, rule.hold_reason = "active", None
    rule.version += 1
    rule.updated_at = utcnow()
    session.flush()
    action = "rule.activate" if rule.status == "active" else "rule.hold"
    record_audit(session, workspace, actor, action, f"rule:{rule.id}", matched=result.matched)
    return rule, result


def deactivate_rule(
    session: Session, workspace: Workspace, rule_id: int, *, actor: str = "system"
) -> Rule:
    rule = get_rule(session, workspace, rule_id)
    rule.status, rule.hold_reason = "off", None
    rule.version += 1
    rule.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "rule.deactivate", f"rule:{rule.id}")
    return rule


test_rule.__test__ = False  # type: ignore[attr-defined]  # a service, not a pytest test
