"""The context card: what frontline staff need before they answer a customer.

Where the customer stands (lifecycle stage, predictions), what they have been doing lately
(the latest interactions and voices, and the topics of the last 180 days' feedback), the
last contact with support and how it ended, what to offer (next best actions), and a one
or two sentence summary in Japanese and English.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.text.topics import list_topics
from kizuna.customers.actions import Action, next_best_actions
from kizuna.customers.models import Interaction
from kizuna.customers.profile import (
    TimelineItem,
    customer_profile,
    customer_timeline,
    interaction_item,
    latest_analyses,
)
from kizuna.customers.scores import default_as_of
from kizuna.feedback.models import Feedback
from kizuna.i18n.vocabulary import label

__all__ = ["ContextCard", "TopicMention", "context_card"]

SUPPORT_KINDS = ("support_ticket",)
SUPPORT_CHANNELS = ("call_center",)
_OUTCOME_KEYS = ("outcome", "status", "resolution")
_STAGES: dict[str, tuple[str, str]] = {
    "prospect": ("まだご購入のない見込み客", "a prospect who has not bought yet"),
    "new": ("最近初めてご購入いただいた新規のお客様", "a new customer"),
    "active": ("継続してご利用のお客様", "an active customer"),
    "loyal": ("ロイヤル顧客", "a loyal customer"),
    "at-risk": ("離反の兆しがあるお客様", "a customer at risk of leaving"),
    "lapsed": ("しばらくご利用のないお客様", "a lapsed customer"),
    "won-back": ("再びご利用いただいているお客様", "a won-back customer"),
}


@dataclass(frozen=True)
class TopicMention:
    topic: str
    sentiment: str | None
    count: int


@dataclass(frozen=True)
class ContextCard:
    customer_id: int
    name: str | None
    lifecycle_stage: str | None
    recent_activity: list[TimelineItem]  # up to 5, newest first
    recent_topics: list[TopicMention]  # from the last 180 days' feedback analysis
    last_support: TimelineItem | None  # latest support_ticket / call_center interaction
    last_support_outcome: str | None  # from its properties (e.g. resolved / open), if any
    expected_purchases_90d: float | None
    p_alive: float | None
    churn_probability: float | None
    clv_12m: float | None
    churn_factors: list[dict[str, Any]]
    actions: list[Action]
    summary_ja: str  # one or two sentences for frontline staff
    summary_en: str


def context_card(
    session: Session, workspace: Workspace, customer_id: int, *, as_of: dt.date | None = None
) -> ContextCard:
    """The card for any record of the person, as of `as_of` (default: scores.default_as_of)."""
    profile = customer_profile(session, workspace, customer_id)
    as_of = as_of or default_as_of(session, workspace)
    root, group = profile.group_ids[0], profile.group_ids
    recent = customer_timeline(session, workspace, root, limit=5).items
    topics = _recent_topics(session, workspace, group, as_of)
    support = _last_support(session, workspace, group)
    outcome = _outcome(support.properties) if support else None
    actions = next_best_actions(session, workspace, root, as_of=as_of)
    score = profile.score
    ja, en = _summary(workspace, profile.lifecycle_stage, support, outcome, topics, actions)
    return ContextCard(
        customer_id=root,
        name=profile.customer.name,
        lifecycle_stage=profile.lifecycle_stage,
        recent_activity=recent,
        recent_topics=topics,
        last_support=support,
        last_support_outcome=outcome,
        expected_purchases_90d=score.expected_purchases_90d if score else None,
        p_alive=score.p_alive if score else None,
        churn_probability=score.churn_probability if score else None,
        clv_12m=score.clv_12m if score else None,
        churn_factors=list(score.churn_factors or []) if score else [],
        actions=actions,
        summary_ja=ja,
        summary_en=en,
    )


def _recent_topics(
    session: Session, workspace: Workspace, group: list[int], as_of: dt.date
) -> list[TopicMention]:
    """Topics of the person's feedback in the 180 days up to as_of, most mentioned first."""
    since = as_of - dt.timedelta(days=180)
    ids = session.scalars(
        select(Feedback.id).where(
            Feedback.workspace_id == workspace.id,
            Feedback.customer_id.in_(group),
            Feedback.received_on > since,
            Feedback.received_on <= as_of,
        )
    ).all()
    counts: Counter[tuple[str, str | None]] = Counter()
    for analysis in latest_analyses(session, workspace, list(ids)).values():
        for topic in analysis.topics or []:
            if isinstance(topic, dict) and topic.get("topic"):
                counts[(str(topic["topic"]), topic.get("sentiment"))] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1])))
    return [TopicMention(topic, sentiment, n) for (topic, sentiment), n in ranked]


def _last_support(session: Session, workspace: Workspace, group: list[int]) -> TimelineItem | None:
    row = session.scalar(
        select(Interaction)
        .where(Interaction.workspace_id == workspace.id, Interaction.customer_id.in_(group))
        .where(or_(Interaction.kind.in_(SUPPORT_KINDS), Interaction.channel.in_(SUPPORT_CHANNELS)))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    return None if row is None else interaction_item(row)


def _outcome(properties: dict[str, Any]) -> str | None:
    for key in _OUTCOME_KEYS:
        value = properties.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@lru_cache(maxsize=1)
def _topic_names() -> dict[str, tuple[str, str]]:
    frame = list_topics()
    if not {"topic", "name_ja", "name_en"} <= set(frame.columns):
        return {}
    return {
        str(t): (str(ja), str(en))
        for t, ja, en in zip(frame["topic"], frame["name_ja"], frame["name_en"], strict=True)
    }


def _summary(
    workspace: Workspace,
    stage: str | None,
    support: TimelineItem | None,
    outcome: str | None,
    topics: list[TopicMention],
    actions: list[Action],
) -> tuple[str, str]:
    """A sentence on who they are, then one on the support history or what they talk about."""
    stage_ja, stage_en = _STAGES.get(stage or "", ("お客様", "a customer"))
    first_ja, first_en = f"{stage_ja}です。", f"This is {stage_en}."
    if actions:
        first_ja = f"{stage_ja}です。おすすめの対応: {actions[0].title_ja}。"
        first_en = f"This is {stage_en}. Suggested: {actions[0].title_en.lower()}."
    if support is not None:
        # Stored codes are named from the vocabulary: never "状況: resolved" on a card.
        reason = support.properties.get("reason")
        about_ja = label("reason", reason, "ja") if reason else support.touchpoint or "サポート"
        about_en = label("reason", reason, "en").lower() if reason else "an issue"
        local = support.occurred_at.astimezone(ZoneInfo(workspace.timezone))
        state_ja = f"、状況: {label('outcome', outcome, 'ja')}" if outcome else ""
        state_en = f"; status: {label('outcome', outcome, 'en').lower()}" if outcome else ""
        return (
            f"{first_ja}以前も{about_ja}についてお問い合わせいただいています"
            f"({local.year}年{local.month}月{state_ja})。",
            f"{first_en} They contacted support about {about_en} before ({local:%b %Y}{state_en}).",
        )
    negative = [t for t in topics if t.sentiment == "negative"]
    if negative:
        names = _topic_names()
        ja, en = names.get(negative[0].topic, (negative[0].topic, negative[0].topic))
        return (
            f"{first_ja}最近のご意見では「{ja}」への不満が見られます。",
            f"{first_en} Recent feedback is unhappy about {en.lower()}.",
        )
    return first_ja, first_en
