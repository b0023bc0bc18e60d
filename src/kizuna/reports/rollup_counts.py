"""Add voices up into rollup rows, at every grain, with pandas (one pass of Python over the
rows to read dimensions and topics, then vectorised group-bys).

`count_voices(rows)` takes the voices of some days, each with its newest analysis, and gives
the `dashboard_day` and `dashboard_topic_day` rows (as dicts) for the grains "all" (no
dimension), each dimension alone and "full" (every dimension kept apart: one row per day and
distinct combination, which filters on several dimensions at once sum over);
`kizuna.reports.models` says why.
Pure: no database, no web.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DAY_COUNTS",
    "DIMENSIONS",
    "FULL",
    "GRAINS",
    "TOPIC_COUNTS",
    "count_frames",
    "count_voices",
    "has_dimensions",
    "voice_dimensions",
    "voice_frames",
]

# The dimensions every rollup row carries ("" when the voice has none).
DIMENSIONS = ("channel", "touchpoint", "language", "source", "survey", "store")
FULL = "full"
GRAINS = ("all", *DIMENSIONS, FULL)
SENTIMENTS = ("positive", "neutral", "negative", "mixed")
EXPECTATIONS = ("exceeded", "met", "below")
DAY_COUNTS = (
    *("voices", "nps_n", "promoters", "detractors", "csat_n", "csat_top2"),
    *("ces_n", "ces_total", "ces_total_sq", "ces_easy", "analysed"),
    *SENTIMENTS,
    *("sentiment_n", "sentiment_sum", "delight_n", "delight_sum"),
    *EXPECTATIONS,
)
TOPIC_COUNTS = ("voices", *SENTIMENTS, "nps_n", "promoters", "detractors")
_FLOATS = ("sentiment_sum", "delight_sum")


def _text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def voice_dimensions(
    channel: str | None,
    touchpoint: str | None,
    language: str | None,
    source: str | None,
    properties: dict[str, Any] | None,
) -> tuple[str, ...]:
    """A voice's dimension values: survey from its survey id or template, store from the
    store (or, in hotel data, the hotel) it was about."""
    props = properties or {}
    survey = props.get("survey_id") or props.get("survey")
    store = props.get("store") or props.get("hotel")
    return (
        _text(channel, 32),
        _text(touchpoint, 100),
        _text(language, 8),
        _text(source, 64),
        _text(survey, 100),
        _text(store, 100),
    )


def has_dimensions(
    wanted: Mapping[str, str],
    channel: str | None,
    touchpoint: str | None,
    language: str | None,
    source: str | None,
    properties: dict[str, Any] | None,
) -> bool:
    """Whether a voice has every wanted dimension value (name -> value, names from
    `DIMENSIONS`), its dimensions read as the rollups read them (`voice_dimensions`)."""
    if not wanted:
        return True
    dims = voice_dimensions(channel, touchpoint, language, source, properties)
    values = dict(zip(DIMENSIONS, dims, strict=True))
    return all(values[n] == v for n, v in wanted.items())


def _objects(values: list[Any]) -> Any:
    """Plain Python objects (pandas would make strings Arrow-backed, slow to read back)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _column(values: list[Any]) -> Any:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _day_frame(voices: dict[str, list[Any]]) -> pd.DataFrame:
    import pandas as pd

    nps, csat, ces = _column(voices["nps"]), _column(voices["csat"]), _column(voices["ces"])
    score, delight = _column(voices["sentiment_score"]), _column(voices["delight"])
    sentiment = np.array(voices["sentiment"], dtype=object)
    expectation = np.array(voices["expectation"], dtype=object)
    analysed = np.array(voices["analysed"], dtype=bool)
    ces0 = np.nan_to_num(ces, nan=0.0).astype(np.int64)
    frame = pd.DataFrame({n: _objects(voices[n]) for n in ("day", *DIMENSIONS)})
    counts: dict[str, Any] = {
        "voices": np.ones(len(nps), dtype=np.int64),
        "nps_n": ~np.isnan(nps),
        "promoters": nps >= 9,
        "detractors": nps <= 6,
        "csat_n": ~np.isnan(csat),
        "csat_top2": csat >= 4,
        "ces_n": ~np.isnan(ces),
        "ces_total": ces0,
        "ces_total_sq": ces0 * ces0,
        "ces_easy": ces >= 5,
        "analysed": analysed,
        **{name: analysed & (sentiment == name) for name in SENTIMENTS},
        "sentiment_n": analysed & ~np.isnan(score),
        "sentiment_sum": np.where(analysed, np.nan_to_num(score, nan=0.0), 0.0),
        "delight_n": analysed & ~np.isnan(delight),
        "delight_sum": np.where(analysed, np.nan_to_num(delight, nan=0.0), 0.0),
        **{name: analysed & (expectation == name) for name in EXPECTATIONS},
    }
    for name, values in counts.items():
        frame[name] = values if name in _FLOATS else np.asarray(values).astype(np.int64)
    return frame


def _topic_frame(topics: dict[str, list[Any]]) -> pd.DataFrame:
    import pandas as pd

    nps = _column(topics["nps"])
    frame = pd.DataFrame({n: _objects(topics[n]) for n in ("day", *DIMENSIONS, "topic")})
    frame["voices"] = np.ones(len(nps), dtype=np.int64)
    for name in SENTIMENTS:
        frame[name] = np.asarray(topics[name], dtype=np.int64)
    frame["nps_n"] = (~np.isnan(nps)).astype(np.int64)
    frame["promoters"] = (nps >= 9).astype(np.int64)
    frame["detractors"] = (nps <= 6).astype(np.int64)
    return frame


def _grains(
    frame: pd.DataFrame, counts: tuple[str, ...], extra: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows of every grain: the frame summed by day (and `extra`) and the grain's dimensions."""
    rows: list[dict[str, Any]] = []
    if frame.empty:
        return rows
    for grain in GRAINS:
        kept = () if grain == "all" else DIMENSIONS if grain == FULL else (grain,)
        keys = ["day", *kept, *extra]
        summed = frame.groupby(keys, sort=False, as_index=False)[list(counts)].sum()
        for name in DIMENSIONS:
            if name not in kept:
                summed[name] = ""
        summed["grain"] = grain
        # Column lists, zipped: `to_dict("records")` walks Arrow-backed strings one by one.
        names = [str(name) for name in summed.columns]
        values = [summed[name].tolist() for name in summed.columns]
        rows.extend(dict(zip(names, row, strict=True)) for row in zip(*values, strict=True))
    return rows


def count_voices(
    voices: Iterable[Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rollup rows (without workspace_id) of these voices.

    Each voice has received_on, channel, touchpoint, language, source, properties, nps,
    csat, ces, and from its newest analysis (None when it has none) analysed_language,
    sentiment, sentiment_score, delight, expectation, topics.
    """
    return count_frames(*voice_frames(voices))


def count_frames(
    day_frame: pd.DataFrame, topic_frame: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rollup rows (without workspace_id) of `voice_frames`' frames."""
    return _grains(day_frame, DAY_COUNTS, ()), _grains(topic_frame, TOPIC_COUNTS, ("topic",))


def voice_frames(
    voices: Iterable[Any], customers: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per voice (day, dimensions and `DAY_COUNTS`) and one per voice and topic it
    mentions (day, dimensions, topic and `TOPIC_COUNTS`): what the rollups sum, unsummed.
    `customers`: both frames also carry the voice's `customer_id` (-1 for none)."""
    names = ("nps", "csat", "ces", "sentiment", "sentiment_score", "delight", "expectation")
    day_columns: dict[str, list[Any]] = {n: [] for n in ("day", *DIMENSIONS, "analysed", *names)}
    topic_columns: dict[str, list[Any]] = {
        n: [] for n in ("day", *DIMENSIONS, "topic", *SENTIMENTS, "nps")
    }
    voice_of: list[int] = []
    topic_of: list[int] = []
    for row in voices:
        who = -1 if row.customer_id is None else int(row.customer_id)
        voice_of.append(who)
        dims = voice_dimensions(
            row.channel,
            row.touchpoint,
            row.language or row.analysed_language,
            row.source,
            row.properties,
        )
        day_columns["day"].append(row.received_on)
        for name, value in zip(DIMENSIONS, dims, strict=True):
            day_columns[name].append(value)
        for name in names:
            day_columns[name].append(getattr(row, name))
        day_columns["analysed"].append(row.sentiment is not None or row.topics is not None)
        polarities: dict[str, set[str]] = {}
        for mention in row.topics or []:
            if isinstance(mention, dict) and mention.get("topic"):
                found = polarities.setdefault(str(mention["topic"])[:64], set())
                found.add(str(mention.get("sentiment")))
        for topic, found in polarities.items():
            topic_of.append(who)
            topic_columns["day"].append(row.received_on)
            for name, value in zip(DIMENSIONS, dims, strict=True):
                topic_columns[name].append(value)
            topic_columns["topic"].append(topic)
            for name in SENTIMENTS:
                topic_columns[name].append(name in found)
            topic_columns["nps"].append(row.nps)
    day_frame, topic_frame = _day_frame(day_columns), _topic_frame(topic_columns)
    if customers:
        day_frame["customer_id"] = np.asarray(voice_of, dtype=np.int64)
        topic_frame["customer_id"] = np.asarray(topic_of, dtype=np.int64)
    return day_frame, topic_frame
