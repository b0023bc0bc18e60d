"""The CX topic taxonomy (data/topics.yaml) and per-topic polarity of one text.

The taxonomy covers hotels, retail and e-commerce, restaurants, SaaS and telecom (staff,
cleanliness, room, food, price/value, delivery, wait time, checkout, usability, support,
billing, product quality, location, ...), in Japanese and English. A workspace extends it
with the same YAML shape through `Analyzer(extra_topics=...)`; `list_topics` shows the
result. Per-topic polarity comes from `sentiment.score_text`, which credits each
polarity cue to the nearest topic mention in its clause.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuna.analytics.text.lexicon import load_yaml, read_topics
from kizuna.analytics.text.sentiment import NEUTRAL_BAND, squash

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["list_topics", "summarize_topics"]


def summarize_topics(topics: dict[str, float]) -> list[dict[str, Any]]:
    """[{topic, sentiment, score}] in order of first mention; score in -1..1."""
    out: list[dict[str, Any]] = []
    for topic, total in topics.items():
        score = round(squash(total), 3)
        if score >= NEUTRAL_BAND:
            label = "positive"
        elif score <= -NEUTRAL_BAND:
            label = "negative"
        else:
            label = "neutral"
        out.append({"topic": topic, "sentiment": label, "score": score})
    return out


def list_topics(extra_topics: Mapping[str, Any] | str | Path | None = None) -> pd.DataFrame:
    """The taxonomy as a frame: topic, name_ja, name_en, domains, term counts."""
    import pandas as pd

    data = read_topics(load_yaml("topics.yaml"))
    if extra_topics is not None:
        extra = extra_topics if isinstance(extra_topics, Mapping) else load_yaml(extra_topics)
        for topic, spec in read_topics(extra).items():
            merged = dict(data.get(topic, {}))
            for key, value in spec.items():
                if key in ("ja", "en"):
                    merged[key] = [*(merged.get(key) or []), *(value or [])]
                else:
                    merged[key] = value
            data[topic] = merged
    rows = [
        {
            "topic": topic,
            "name_ja": spec.get("name_ja", topic),
            "name_en": spec.get("name_en", topic),
            "domains": list(spec.get("domains") or []),
            "terms_ja": len(spec.get("ja", []) or []),
            "terms_en": len(spec.get("en", []) or []),
        }
        for topic, spec in data.items()
    ]
    return pd.DataFrame(rows)
