"""The journey of a workspace: its stages and touchpoint rules, with their defaults.

`journey_of` returns the workspace's journey, making it on first use with the default
stages (認知 awareness, 検討 consideration, 購入 purchase, 利用 use, サポート support,
継続・推奨 loyalty and advocacy) and rules that place the interaction kinds and voice
sources Kizuna knows. Every change is validated (bilingual InvalidInput / Conflict),
audited, bumps the journey's version (snapshots computed with an older version are shown
as out of date) and queues a refresh of the stored analytics. Adding and deleting rules is
`kizuna.journeys.rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.errors import Conflict, InvalidInput
from kizuna.journeys.models import Journey, JourneyStage, TouchpointRule

__all__ = [
    "APPLIES_TO",
    "DEFAULT_RULES",
    "DEFAULT_STAGES",
    "MATCH_FIELDS",
    "JourneyDefinition",
    "RuleSpec",
    "StageSpec",
    "add_default_rules",
    "clean_text",
    "journey_of",
    "load_definition",
    "record_change",
    "save_stages",
]

DEFAULT_NAME = "Customer journey"
# code, in the funnel (support is a side path, not a step everyone takes)
DEFAULT_STAGES: tuple[tuple[str, bool], ...] = (
    ("awareness", True),
    ("consideration", True),
    ("purchase", True),
    ("use", True),
    ("support", False),
    ("loyalty", True),
)
APPLIES_TO = ("interaction", "voice", "any")
MATCH_FIELDS = ("channel", "kind", "touchpoint", "source")
# Interactions by kind; voices without an interaction by their source. A voice tied to
# an interaction takes that interaction's stage (see kizuna.journeys.mapping).
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "applies_to": "interaction",
        "stage": "awareness",
        "match": {"kind": ["ad_view", "email_open"]},
    },
    {"applies_to": "interaction", "stage": "consideration", "match": {"kind": ["visit"]}},
    {
        "applies_to": "interaction",
        "stage": "purchase",
        "match": {"kind": ["purchase", "reservation"]},
    },
    {
        "applies_to": "interaction",
        "stage": "use",
        "match": {"kind": ["stay", "check_out", "facility_use", "room_service", "delivery"]},
    },
    {
        "applies_to": "interaction",
        "stage": "support",
        "match": {"kind": ["support_ticket", "complaint", "return"]},
    },
    {
        "applies_to": "interaction",
        "stage": "loyalty",
        "match": {"kind": ["review_post", "sns_post", "community_post", "event_attendance"]},
    },
    {"applies_to": "voice", "stage": "support", "match": {"source": ["ticket", "chat"]}},
    {
        "applies_to": "voice",
        "stage": "loyalty",
        "match": {"source": ["review", "sns", "community"]},
        "direct": False,
    },
    {"applies_to": "voice", "stage": "use", "match": {"source": ["survey", "interview"]}},
)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class StageSpec:
    code: str
    name: str | None  # None: the vocabulary's name of a default stage
    in_funnel: bool
    goal: str | None
    opportunity: str | None


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    applies_to: str
    match: dict[str, Any]
    stage: str
    touchpoint: str | None
    direct: bool | None


@dataclass(frozen=True)
class JourneyDefinition:
    """A journey as the analytics read it (plain data, detached from the session)."""

    id: int
    name: str
    version: int
    stages: tuple[StageSpec, ...]
    rules: tuple[RuleSpec, ...]

    @property
    def stage_codes(self) -> list[str]:
        return [s.code for s in self.stages]

    @property
    def funnel_codes(self) -> list[str]:
        return [s.code for s in self.stages if s.in_funnel]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "stages": [s.__dict__ for s in self.stages],
            "rules": [r.__dict__ for r in self.rules],
        }


def journey_of(session: Session, workspace: Workspace) -> Journey:
    """The workspace's journey, made with the default stages and rules on first use."""
    found = session.scalar(
        select(Journey).where(Journey.workspace_id == workspace.id).order_by(Journey.id).limit(1)
    )
    if found is not None:
        return found
    journey = Journey(workspace_id=workspace.id, name=DEFAULT_NAME, version=1)
    session.add(journey)
    session.flush()
    for position, (code, in_funnel) in enumerate(DEFAULT_STAGES):
        session.add(
            JourneyStage(
                workspace_id=workspace.id,
                journey_id=journey.id,
                code=code,
                position=position,
                in_funnel=in_funnel,
            )
        )
    add_default_rules(session, workspace, journey)
    session.flush()
    return journey


def add_default_rules(session: Session, workspace: Workspace, journey: Journey) -> None:
    for position, rule in enumerate(DEFAULT_RULES):
        session.add(
            TouchpointRule(
                workspace_id=workspace.id,
                journey_id=journey.id,
                position=position,
                applies_to=rule["applies_to"],
                match=rule["match"],
                stage_code=rule["stage"],
                touchpoint=rule.get("touchpoint"),
                direct=rule.get("direct"),
            )
        )


def load_definition(session: Session, workspace: Workspace) -> JourneyDefinition:
    """The journey with its stages and rules in order."""
    journey = journey_of(session, workspace)
    stages = session.scalars(
        select(JourneyStage)
        .where(JourneyStage.workspace_id == workspace.id, JourneyStage.journey_id == journey.id)
        .order_by(JourneyStage.position, JourneyStage.id)
    ).all()
    rules = session.scalars(
        select(TouchpointRule)
        .where(TouchpointRule.workspace_id == workspace.id, TouchpointRule.journey_id == journey.id)
        .order_by(TouchpointRule.position, TouchpointRule.id)
    ).all()
    return JourneyDefinition(
        id=journey.id,
        name=journey.name,
        version=journey.version,
        stages=tuple(StageSpec(s.code, s.name, s.in_funnel, s.goal, s.opportunity) for s in stages),
        rules=tuple(
            RuleSpec(r.id, r.applies_to, dict(r.match or {}), r.stage_code, r.touchpoint, r.direct)
            for r in rules
        ),
    )


def clean_text(value: Any, limit: int, what_en: str, what_ja: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(
            f"{what_en} must be text.", f"{what_ja}は文字列で指定してください。", field=what_en
        )
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(
            f"{what_en} is longer than {limit} characters; shorten it.",
            f"{what_ja}は {limit} 文字以内にしてください。",
            field=what_en,
        )
    return value or None


def save_stages(
    session: Session, workspace: Workspace, stages: list[dict[str, Any]], *, actor: str = "system"
) -> JourneyDefinition:
    """Replace the stages with `stages` in order: {code?, name?, in_funnel?, goal?, opportunity?}.

    A stage without a code is new and needs a name; a default stage keeps its code (its
    name may change). A stage that rules still use cannot be removed (Conflict).
    """
    from kizuna.journeys.jobs import queue_refresh

    if not isinstance(stages, list) or not 1 <= len(stages) <= 12:
        raise InvalidInput(
            "A journey has 1 to 12 stages; send them as a list in order.",
            "ジャーニーの段階は 1〜12 個です。順番どおりのリストで指定してください。",
        )
    journey = journey_of(session, workspace)
    existing = {
        s.code: s
        for s in session.scalars(
            select(JourneyStage).where(
                JourneyStage.workspace_id == workspace.id, JourneyStage.journey_id == journey.id
            )
        )
    }
    defaults = {code for code, _ in DEFAULT_STAGES}
    wanted: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(stages, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(
                f"Stage {i} must be an object with a name.",
                f"段階 {i} は name を持つオブジェクトで指定してください。",
            )
        name = clean_text(item.get("name"), 100, f"Stage {i}'s name", f"段階 {i} の名前")
        code = item.get("code") or None
        if code is None:
            if name is None:
                raise InvalidInput(
                    f"Stage {i} is new and needs a name.",
                    f"段階 {i} は新しい段階なので、名前を指定してください。",
                    stage=i,
                )
            code = _new_code(name, {c for c, _ in wanted} | set(existing))
        elif not isinstance(code, str) or not _CODE.match(code):
            raise InvalidInput(
                f"Stage {i}: {code!r} is not a stage code (lower-case letters, digits, _).",
                f"段階 {i}: {code!r} は段階コードとして使えません(英小文字・数字・_)。",
                stage=i,
            )
        if name is None and code not in defaults:
            raise InvalidInput(
                f"Stage {i} ({code}) needs a name.",
                f"段階 {i}({code})には名前が必要です。",
                stage=i,
            )
        if any(code == c for c, _ in wanted):
            raise InvalidInput(
                f"Stage {code} appears twice; list each stage once.",
                f"段階 {code} が2回指定されています。各段階は1回だけ指定してください。",
                stage=code,
            )
        wanted.append((code, {**item, "name": name}))
    removed = set(existing) - {c for c, _ in wanted}
    used = set(
        session.scalars(
            select(TouchpointRule.stage_code).where(
                TouchpointRule.workspace_id == workspace.id,
                TouchpointRule.journey_id == journey.id,
                TouchpointRule.stage_code.in_(removed),
            )
        )
    )
    if used:
        names = ", ".join(sorted(used))
        raise Conflict(
            f"Rules still place records on {names}. Change or delete those rules first.",
            f"{names} に記録を割り当てるルールが残っています。先にそのルールを変更か削除してください。",
            stages=sorted(used),
        )
    for code in removed:
        session.delete(existing[code])
    session.flush()
    for position, (code, item) in enumerate(wanted):
        stage = existing.get(code)
        if stage is None:
            stage = JourneyStage(workspace_id=workspace.id, journey_id=journey.id, code=code)
            session.add(stage)
        stage.position = position
        stage.name = item["name"]
        stage.in_funnel = bool(item.get("in_funnel", code != "support"))
        stage.goal = clean_text(item.get("goal"), 500, f"Goal of {code}", f"{code} の目標")
        stage.opportunity = clean_text(
            item.get("opportunity"), 500, f"Opportunity of {code}", f"{code} の改善機会"
        )
    record_change(session, workspace, journey, actor, "journey.stages", stages=len(wanted))
    queue_refresh(session, workspace)
    return load_definition(session, workspace)


def _new_code(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    if not base or not base[0].isalpha():
        base = "stage"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def record_change(
    session: Session,
    workspace: Workspace,
    journey: Journey,
    actor: str,
    action: str,
    **details: Any,
) -> None:
    journey.version = journey.version + 1
    session.flush()
    record_audit(session, workspace, actor, action, f"journey:{journey.id}", **details)
