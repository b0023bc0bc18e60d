"""What personas are built from: one row per surviving customer with behaviour, attitude
and profile features, and the per-customer facts the persona cards summarise.

Behaviour: recency, repeat purchases and average spend (the customer's scores), how many
interactions, the share of them on each busy channel, and how far along the journey's
funnel the customer got. Attitude: mean NPS, mean sentiment and delight of their voices,
the share of their voices naming each of the workspace's most talked-about topics and each
experience value. Profile: age band, region (from the prefecture) and life stage. Each of
the three groups weighs the same in total, split evenly among its features, so a group
with many features does not outvote the others. Customers with no interaction and no voice
have nothing to be clustered on and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.text.lexicon import EXPERIENCE_VALUES
from kizuna.customers.bulk import column_frame
from kizuna.customers.models import Customer, CustomerScore
from kizuna.journeys.data import load_journey_data
from kizuna.journeys.definition import JourneyDefinition, load_definition
from kizuna.journeys.mapping import place_interactions, place_voices, uses_properties

__all__ = ["REGIONS", "PersonaInputs", "load_persona_inputs", "region_of", "topic_mentions"]

MAX_CHANNELS = 8
MAX_TOPICS = 6
# Japan's eight regions; a prefecture is matched by its name with or without 都/道/府/県.
REGIONS: dict[str, tuple[str, ...]] = {
    "hokkaido": ("北海道",),
    "tohoku": ("青森", "岩手", "宮城", "秋田", "山形", "福島"),
    "kanto": ("茨城", "栃木", "群馬", "埼玉", "千葉", "東京", "神奈川"),
    "chubu": ("新潟", "富山", "石川", "福井", "山梨", "長野", "岐阜", "静岡", "愛知"),
    "kinki": ("三重", "滋賀", "京都", "大阪", "兵庫", "奈良", "和歌山"),
    "chugoku": ("鳥取", "島根", "岡山", "広島", "山口"),
    "shikoku": ("徳島", "香川", "愛媛", "高知"),
    "kyushu": ("福岡", "佐賀", "長崎", "熊本", "大分", "宮崎", "鹿児島", "沖縄"),
}
_BY_NAME = {name: region for region, names in REGIONS.items() for name in names}


def region_of(prefecture: Any) -> str | None:
    """The region code of a prefecture written in Japanese (東京都, 東京), else None."""
    if not isinstance(prefecture, str) or not prefecture:
        return None
    name = prefecture.strip()
    if name in _BY_NAME:
        return _BY_NAME[name]
    return _BY_NAME.get(name[:-1]) if name[-1:] in "都道府県" else None


@dataclass
class PersonaInputs:
    """The feature frame (index: customer id) and what the cards need besides it."""

    features: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    weights: dict[str, float]
    groups: dict[str, list[str]]  # behaviour / attitude / profile -> features
    interactions: pd.DataFrame  # placed: customer, at, channel, stage, touchpoint, kind
    voices: pd.DataFrame  # placed and analysed, with customer
    mentions: pd.DataFrame  # one row per (voice, topic): see topic_mentions
    scores: pd.DataFrame  # index customer: clv_12m, ...
    definition: JourneyDefinition


def _journey_position(placed: pd.DataFrame, steps: list[str]) -> pd.Series:
    """Furthest funnel step each customer reached at any time, as 0..1 of the funnel."""
    if not steps or placed.empty:
        return pd.Series(dtype=float)
    rank = {code: i for i, code in enumerate(steps)}
    ranks = placed["stage"].map(rank).dropna()
    furthest = ranks.groupby(placed.loc[ranks.index, "customer"]).max()
    return furthest / max(1, len(steps) - 1)


def load_persona_inputs(session: Session, workspace: Workspace) -> PersonaInputs:
    """Every surviving customer with an interaction or a voice, and their features."""
    definition = load_definition(session, workspace)
    data = load_journey_data(
        session, workspace, "all", "all", with_properties=uses_properties(definition.rules)
    )
    interactions = place_interactions(data.interactions, definition.rules)
    voices = place_voices(data.voices, definition.rules, interactions)
    voices = voices[voices["customer"].notna()].copy()
    voices["customer"] = voices["customer"].astype(np.int64)
    people = column_frame(
        session.execute(
            select(Customer.id, Customer.age_band, Customer.life_stage, Customer.prefecture)
            .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None))
            .order_by(Customer.id)
        ).all(),
        ["customer", "age_band", "life_stage", "prefecture"],
    ).set_index("customer")
    scores = column_frame(
        session.execute(
            select(
                CustomerScore.customer_id,
                CustomerScore.recency_days,
                CustomerScore.frequency,
                CustomerScore.monetary_value,
                CustomerScore.clv_12m,
            ).where(CustomerScore.workspace_id == workspace.id)
        ).all(),
        ["customer", "recency_days", "frequency", "monetary_value", "clv_12m"],
    ).set_index("customer")
    active = set(interactions["customer"].tolist()) | set(voices["customer"].tolist())
    index = pd.Index(sorted(c for c in people.index if c in active), name="customer")
    frame = pd.DataFrame(index=index)
    groups: dict[str, list[str]] = {"behaviour": [], "attitude": [], "profile": []}

    def add(group: str, name: str, values: pd.Series) -> None:
        frame[name] = pd.to_numeric(values.reindex(index), errors="coerce")
        groups[group].append(name)

    for column in ("recency_days", "frequency", "monetary_value"):
        add("behaviour", column, scores[column] if column in scores else pd.Series(dtype=float))
    counts = interactions.groupby("customer").size()
    add("behaviour", "interactions", counts.reindex(index, fill_value=0).astype(float))
    channels = interactions["channel"].value_counts()
    busy = [c for c in channels.index if channels[c] >= 0.01 * len(interactions)][:MAX_CHANNELS]
    shares = pd.crosstab(interactions["customer"], interactions["channel"], normalize="index")
    for channel in busy:
        add("behaviour", f"channel:{channel}", shares[channel])
    placed = interactions[interactions["stage"].notna()]
    add("behaviour", "journey_position", _journey_position(placed, definition.funnel_codes))
    by_customer = voices.groupby("customer")
    add("attitude", "nps", by_customer["nps"].mean())
    add("attitude", "sentiment", by_customer["sentiment_score"].mean())
    add("attitude", "delight", by_customer["delight"].mean())
    mentioned = topic_mentions(voices)
    for topic in mentioned["topic"].value_counts().index[:MAX_TOPICS]:
        rows = mentioned[mentioned["topic"] == topic]
        share = rows.groupby("customer")["id"].nunique() / by_customer.size()
        add("attitude", f"topic:{topic}", share.fillna(0.0))
    for value in EXPERIENCE_VALUES:
        has = voices["experience_values"].map(lambda v, x=value: isinstance(v, list) and x in v)
        share = has.groupby(voices["customer"]).mean()
        add("attitude", f"experience:{value}", share)
    for column in ("age_band", "life_stage"):
        frame[column] = people[column].reindex(index)
        groups["profile"].append(column)
    frame["region"] = people["prefecture"].reindex(index).map(region_of)
    groups["profile"].append("region")
    numeric = groups["behaviour"] + groups["attitude"]
    categorical = groups["profile"]
    weights = {name: 1.0 / len(names) for names in groups.values() for name in names if names}
    return PersonaInputs(
        features=frame,
        numeric=numeric,
        categorical=categorical,
        weights=weights,
        groups=groups,
        interactions=interactions,
        voices=voices,
        mentions=mentioned,
        scores=scores,
        definition=definition,
    )


def topic_mentions(voices: pd.DataFrame) -> pd.DataFrame:
    """One row per (voice, topic): id, customer, topic, topic sentiment and score, text."""
    rows: list[tuple[Any, ...]] = []
    for vid, customer, topics, text in zip(
        voices["id"].tolist(),
        voices["customer"].tolist(),
        voices["topics"].tolist(),
        voices["text"].tolist(),
        strict=True,
    ):
        for item in topics if isinstance(topics, list) else []:
            if isinstance(item, dict) and item.get("topic"):
                score = item.get("score")
                rows.append(
                    (
                        vid,
                        customer,
                        str(item["topic"]),
                        item.get("sentiment"),
                        float(score) if isinstance(score, int | float) else np.nan,
                        text,
                    )
                )
    return pd.DataFrame(rows, columns=["id", "customer", "topic", "polarity", "score", "text"])
