"""Touchpoint rules of a workspace's journey: adding, deleting, back to the defaults.

Each change is checked (bilingual InvalidInput / Conflict / NotFound), audited, bumps the
journey's version and queues a refresh of the stored analytics, as stage edits do
(`kizuna.journeys.definition`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.journeys.definition import (
    APPLIES_TO,
    DEFAULT_RULES,
    MATCH_FIELDS,
    add_default_rules,
    clean_text,
    journey_of,
    record_change,
)
from kizuna.journeys.models import JourneyStage, TouchpointRule

__all__ = ["add_rule", "check_match", "delete_rule", "reset_rules"]


def check_match(match: Any) -> dict[str, Any]:
    if not isinstance(match, dict):
        raise InvalidInput(
            "A rule's match is an object of field -> list of values.",
            "ルールの条件は「項目 → 値のリスト」のオブジェクトで指定してください。",
        )
    out: dict[str, Any] = {}
    for field, values in match.items():
        if field == "properties":
            if not isinstance(values, dict) or not all(
                isinstance(k, str) and isinstance(v, str | int | float | bool)
                for k, v in values.items()
            ):
                raise InvalidInput(
                    "properties must map a property name to one value.",
                    "properties はプロパティ名と値の組で指定してください。",
                )
            if values:
                out["properties"] = {k: str(v) for k, v in values.items()}
            continue
        if field not in MATCH_FIELDS:
            known = ", ".join((*MATCH_FIELDS, "properties"))
            raise InvalidInput(
                f"A rule cannot match on {field!r}; use {known}.",
                f"ルールの条件に {field!r} は使えません。次のいずれかを使ってください: {known}",
                field=str(field),
            )
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
            raise InvalidInput(
                f"{field} must be a list of values.",
                f"{field} は値のリストで指定してください。",
                field=field,
            )
        if items:
            out[field] = sorted({v.strip() for v in items if v.strip()})
    if not out:
        raise InvalidInput(
            "A rule needs at least one condition (channel, kind, touchpoint, source or a "
            "property); otherwise it would take every record.",
            "ルールには条件が1つ以上必要です(チャネル・種類・タッチポイント・ソース・プロパティ)。"
            "条件がないとすべての記録が対象になります。",
        )
    return out


def add_rule(
    session: Session,
    workspace: Workspace,
    *,
    stage: str,
    match: dict[str, Any],
    applies_to: str = "interaction",
    touchpoint: str | None = None,
    direct: bool | None = None,
    position: int | None = None,
    actor: str = "system",
) -> TouchpointRule:
    """Add a rule (at the end, or at `position`: earlier rules win)."""
    from kizuna.journeys.jobs import queue_refresh

    journey = journey_of(session, workspace)
    if applies_to not in APPLIES_TO:
        raise InvalidInput(
            f"applies_to must be one of {', '.join(APPLIES_TO)}.",
            f"applies_to は {'、'.join(APPLIES_TO)} のいずれかにしてください。",
        )
    codes = set(
        session.scalars(
            select(JourneyStage.code).where(
                JourneyStage.workspace_id == workspace.id, JourneyStage.journey_id == journey.id
            )
        )
    )
    if stage not in codes:
        raise InvalidInput(
            f"The journey has no stage {stage!r}; use one of {', '.join(sorted(codes))}.",
            f"ジャーニーに段階 {stage!r} はありません。次のいずれかを指定してください: "
            f"{', '.join(sorted(codes))}",
            stage=stage,
        )
    checked = check_match(match)
    rules = list(
        session.scalars(
            select(TouchpointRule)
            .where(
                TouchpointRule.workspace_id == workspace.id,
                TouchpointRule.journey_id == journey.id,
            )
            .order_by(TouchpointRule.position, TouchpointRule.id)
        )
    )
    at = len(rules) if position is None else max(0, min(int(position), len(rules)))
    for i, rule in enumerate(rules):
        rule.position = i if i < at else i + 1
    rule = TouchpointRule(
        workspace_id=workspace.id,
        journey_id=journey.id,
        position=at,
        applies_to=applies_to,
        match=checked,
        stage_code=stage,
        touchpoint=clean_text(touchpoint, 100, "Touchpoint", "タッチポイント"),
        direct=direct,
    )
    session.add(rule)
    session.flush()
    record_change(session, workspace, journey, actor, "journey.rule.add", rule_id=rule.id)
    queue_refresh(session, workspace)
    return rule


def delete_rule(
    session: Session, workspace: Workspace, rule_id: int, *, actor: str = "system"
) -> None:
    """Delete a rule; the records it placed go to the next rule that matches, if any."""
    from kizuna.journeys.jobs import queue_refresh

    journey = journey_of(session, workspace)
    rule = session.scalar(
        select(TouchpointRule).where(
            TouchpointRule.workspace_id == workspace.id,
            TouchpointRule.journey_id == journey.id,
            TouchpointRule.id == rule_id,
        )
    )
    if rule is None:
        raise NotFound(
            f"Rule {rule_id} does not exist in this journey. See the journey's settings.",
            f"ルール {rule_id} はこのジャーニーにありません。ジャーニーの設定を確認してください。",
            rule_id=rule_id,
        )
    session.delete(rule)
    session.flush()
    record_change(session, workspace, journey, actor, "journey.rule.delete", rule_id=rule_id)
    queue_refresh(session, workspace)


def reset_rules(session: Session, workspace: Workspace, *, actor: str = "system") -> int:
    """Replace every rule with the default ones (stages they name must exist)."""
    from kizuna.journeys.jobs import queue_refresh

    journey = journey_of(session, workspace)
    codes = set(
        session.scalars(
            select(JourneyStage.code).where(
                JourneyStage.workspace_id == workspace.id, JourneyStage.journey_id == journey.id
            )
        )
    )
    missing = sorted({r["stage"] for r in DEFAULT_RULES} - codes)
    if missing:
        raise Conflict(
            f"The default rules need the stages {', '.join(missing)}; add them back first.",
            f"既定のルールには段階 {', '.join(missing)} が必要です。先に段階を戻してください。",
            stages=missing,
        )
    session.execute(
        delete(TouchpointRule).where(
            TouchpointRule.workspace_id == workspace.id, TouchpointRule.journey_id == journey.id
        )
    )
    add_default_rules(session, workspace, journey)
    session.flush()
    record_change(
        session, workspace, journey, actor, "journey.rules.reset", rules=len(DEFAULT_RULES)
    )
    queue_refresh(session, workspace)
    return len(DEFAULT_RULES)
