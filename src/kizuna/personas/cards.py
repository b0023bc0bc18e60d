"""Persona cards: what each persona is like, in figures and in its members' own words.

A card holds the size, CLV (mean and median 12-month CLV of the members who have one),
NPS with its adjusted-Wald interval over the members' answers, the profile (most common
age band, life stage and region), preferred channels (the members' share of interactions
on a channel, and how much more than everyone's: the lift), experience values, top needs
(topics the members praise most) and pains (topics they complain of most), each with a
quote, and the typical journey: the stages most members reach, in the order they usually
reach them, with the most common stage path. The generated name and one-line description
(Japanese and English) come from the same figures; the team can rename a persona.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kizuna.analytics import journeys as paths
from kizuna.analytics.intervals import nps_interval
from kizuna.i18n.vocabulary import label
from kizuna.personas.features import PersonaInputs

__all__ = ["build_card", "describe", "name_personas"]

QUOTE_CHARS = 160


def _share_table(values: pd.Series, top: int = 3) -> list[dict[str, Any]]:
    counts = values.dropna().value_counts()
    total = int(counts.sum())
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))[:top]
    return [{"code": str(k), "share": int(n) / total} for k, n in ordered] if total else []


def _nps(voices: pd.DataFrame) -> dict[str, Any] | None:
    answers = voices["nps"].dropna()
    if answers.empty:
        return None
    promoters, detractors, n = int((answers >= 9).sum()), int((answers <= 6).sum()), len(answers)
    low, high = nps_interval(promoters, detractors, n)
    return {
        "n": n,
        "value": 100.0 * (promoters - detractors) / n,
        "low": 100.0 * float(low),
        "high": 100.0 * float(high),
    }


def _cut(text: Any) -> str:
    value = str(text or "").strip()
    return value if len(value) <= QUOTE_CHARS else value[: QUOTE_CHARS - 1] + "…"


def _topics(mentions: pd.DataFrame, everyone: pd.DataFrame, polarity: str) -> list[Any]:
    """The 3 topics the members mention with `polarity` most, each with its best quote."""
    own = mentions[mentions["polarity"] == polarity]
    if own.empty:
        return []
    counts = own.groupby("topic")["id"].nunique()
    base = everyone[everyone["polarity"] == polarity].groupby("topic")["id"].nunique()
    members_voices = max(1, mentions["id"].nunique())
    all_voices = max(1, everyone["id"].nunique())
    ranked = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))[:3]
    out = []
    for topic, count in ranked:
        rows = own[(own["topic"] == topic) & own["text"].notna()]
        sign = -1.0 if polarity == "positive" else 1.0
        rows = rows.assign(_key=sign * rows["score"].fillna(0.0)).sort_values(["_key", "id"])
        quote = rows.iloc[0] if len(rows) else None
        rate = int(count) / members_voices
        overall = int(base.get(topic, 0)) / all_voices
        out.append(
            {
                "topic": str(topic),
                "count": int(count),
                "lift": rate / overall if overall > 0 else None,
                "quote": None
                if quote is None
                else {"id": int(quote["id"]), "text": _cut(quote["text"])},
            }
        )
    return out


def _channels(members: pd.DataFrame, everyone: pd.DataFrame) -> list[dict[str, Any]]:
    if members.empty:
        return []
    own = members["channel"].value_counts(normalize=True)
    base = everyone["channel"].value_counts(normalize=True)
    overall: dict[Any, float] = base.to_dict()
    rows: list[dict[str, Any]] = [
        {
            "code": str(c),
            "share": float(s),
            "lift": float(s) / overall[c] if overall.get(c) else None,
        }
        for c, s in own.to_dict().items()
    ]
    liked = [r for r in rows if (r["lift"] or 0) >= 1.0] or rows
    liked.sort(key=lambda r: (-float(r["share"]), str(r["code"])))
    return liked[:3]


def _journey(inputs: PersonaInputs, members: pd.DataFrame) -> dict[str, Any]:
    placed = members[members["stage"].notna()]
    people = max(1, placed["customer"].nunique())
    first = placed.groupby(["customer", "stage"])["at"].min().reset_index()
    stages: list[dict[str, Any]] = []
    for code in inputs.definition.stage_codes:
        reached = first[first["stage"] == code]
        share = reached["customer"].nunique() / people
        if share >= 0.2:
            since = reached["at"] - reached["customer"].map(first.groupby("customer")["at"].min())
            stages.append(
                {
                    "stage": code,
                    "share": share,
                    "median_days": float(since.dt.total_seconds().median() / 86400),
                }
            )
    order = inputs.definition.stage_codes
    stages.sort(key=lambda s: (float(s["median_days"]), order.index(str(s["stage"]))))
    common = []
    if not placed.empty:
        variants = paths.variants(
            placed[["customer", "stage", "at"]],
            case="customer",
            activity="stage",
            timestamp="at",
            collapse_repeats=True,
            top=1,
        )
        if len(variants):
            common = [str(s) for s in variants["variant"].iloc[0]][:8]
            share = float(variants["share"].iloc[0])
            return {"stages": stages, "path": common, "path_share": share}
    return {"stages": stages, "path": common, "path_share": None}


def build_card(inputs: PersonaInputs, customers: list[int]) -> dict[str, Any]:
    """The card of the persona whose members are `customers` (JSON-able)."""
    chosen = set(customers)
    features = inputs.features.loc[inputs.features.index.isin(chosen)]
    members = inputs.interactions[inputs.interactions["customer"].isin(chosen)]
    voices = inputs.voices[inputs.voices["customer"].isin(chosen)]
    clv: list[float] = (
        inputs.scores["clv_12m"].reindex(sorted(chosen)).dropna().astype(float).tolist()
        if len(inputs.scores)
        else []
    )
    everyone_mentions = inputs.mentions
    mentions = everyone_mentions[everyone_mentions["customer"].isin(chosen)]
    values = voices["experience_values"].tolist()
    analysed = max(1, sum(1 for v in values if isinstance(v, list)))
    experience: dict[str, int] = {}
    for items in values:
        for value in items if isinstance(items, list) else []:
            experience[value] = experience.get(value, 0) + 1
    card: dict[str, Any] = _json(
        {
            "size": len(chosen),
            "clv": None
            if not clv
            else {"mean": float(np.mean(clv)), "median": float(np.median(clv)), "n": len(clv)},
            "nps": _nps(voices),
            "sentiment": float(voices["sentiment_score"].mean()) if len(voices) else None,
            "voices": len(voices),
            "profile": {
                "age_band": _share_table(features["age_band"]),
                "life_stage": _share_table(features["life_stage"]),
                "region": _share_table(features["region"]),
            },
            "channels": _channels(members, inputs.interactions),
            "experience": sorted(
                ({"code": k, "share": n / analysed} for k, n in experience.items()),
                key=lambda e: (-e["share"], e["code"]),
            ),
            "needs": _topics(mentions, everyone_mentions, "positive"),
            "pains": _topics(mentions, everyone_mentions, "negative"),
            "journey": _journey(inputs, members),
        }
    )
    return card


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _top(card: dict[str, Any], field: str) -> str | None:
    rows = card["profile"][field]
    return rows[0]["code"] if rows else None


def name_personas(cards: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A short distinct name per card in Japanese and English: life stage and main channel."""
    names: list[dict[str, str]] = []
    for card in cards:
        life, age = _top(card, "life_stage"), _top(card, "age_band")
        channel = card["channels"][0]["code"] if card["channels"] else None
        ja = "・".join(
            p for p in (label("life_stage", life, "ja"), label("channel", channel, "ja")) if p
        )
        en = ", ".join(
            p for p in (label("life_stage", life, "en"), label("channel", channel, "en")) if p
        )
        ja, en = (ja + "派" if channel else ja) or "ペルソナ", (en + " first" if channel else en)
        taken = {n["ja"] for n in names}
        if ja in taken and age:
            ja = f"{label('age_band', age, 'ja')}の{ja}"
            en = f"{en} ({label('age_band', age, 'en')})"
        number = 2
        base_ja, base_en = ja, en or "Persona"
        while ja in taken:
            ja, en = f"{base_ja} {number}", f"{base_en} {number}"
            number += 1
        names.append({"ja": ja, "en": en or "Persona"})
    return names


def describe(card: dict[str, Any], share: float) -> dict[str, str]:
    """One line in Japanese and English from the card's figures."""
    age, life = _top(card, "age_band"), _top(card, "life_stage")
    channels = [c["code"] for c in card["channels"][:2]]
    nps = card["nps"]["value"] if card.get("nps") else None
    ja_who = "の".join(
        p for p in (label("age_band", age, "ja"), label("life_stage", life, "ja")) if p
    )
    en_who = " ".join(
        p
        for p in (
            label("life_stage", life, "en"),
            f"({label('age_band', age, 'en')})" if age else "",
        )
        if p
    )
    ja = f"{ja_who or '顧客'}が中心(全体の {share:.0%})。"
    en = f"Mostly {en_who or 'customers'}: {share:.0%} of customers."
    if channels:
        ja += "と".join(label("channel", c, "ja") for c in channels) + "をよく使う。"
        en += " Uses " + " and ".join(label("channel", c, "en") for c in channels) + " most."
    if nps is not None:
        ja += f"NPS {nps:+.0f}。"
        en += f" NPS {nps:+.0f}."
    return {"ja": ja, "en": en}
