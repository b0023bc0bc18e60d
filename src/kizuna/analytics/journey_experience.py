"""What customers feel along a journey: touchpoint statistics, the emotion curve, pain points
and moments of truth, from a frame of analysed voices.

Pure: pandas in, pandas out; `kizuna.analytics.journeys` re-exports these. A voice frame
has one row per voice and any of the columns `id`, `customer`, `stage`, `touchpoint`,
`text`, `nps` (0-10), `csat` (1-5), `ces` (1-7), `sentiment` (positive, negative, neutral,
mixed), `sentiment_score` (-1..1), `delight` (0..1), `emotions` (name -> 0..1) and
`topics` (a list of {topic, sentiment, score}); a missing column counts as unknown.

Formulas (one place each, `kizuna.analytics.intervals`): NPS with the adjusted-Wald interval
(Rocks 2016), CSAT top-2-box with the Wilson interval (Wilson 1927), CES and mean sentiment
with Student t intervals; key drivers by relative weights (Johnson 2000, see
`_relative_weights`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuna.analytics._relative_weights import bootstrap_relative_weights
from kizuna.analytics.intervals import nps_interval, t_interval, wilson_interval, z_critical
from kizuna.errors import InsufficientData, InvalidInput

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["emotion_curve", "moments_of_truth", "pain_points", "touchpoint_summary"]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    import pandas as pd

    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=float)


def _mean_interval(values: np.ndarray[Any, Any], confidence: float) -> dict[str, float]:
    known = values[~np.isnan(values)]
    n = len(known)
    if n == 0:
        return {"n": 0, "mean": np.nan, "low": np.nan, "high": np.nan}
    mean = float(known.mean())
    sd = float(known.std(ddof=1)) if n > 1 else np.nan
    low, high = t_interval(mean, sd, n, confidence=confidence)
    return {"n": n, "mean": mean, "low": float(low), "high": float(high)}


def _scores(group: pd.DataFrame, confidence: float) -> dict[str, Any]:
    """NPS, CSAT and CES of one group of voices, with 95% intervals (None when unasked)."""
    z = z_critical(confidence)
    out: dict[str, Any] = {}
    nps = _numbers(group, "nps")
    nps = nps[~np.isnan(nps)]
    if len(nps):
        promoters, detractors = int((nps >= 9).sum()), int((nps <= 6).sum())
        low, high = nps_interval(promoters, detractors, len(nps), z)
        value = 100.0 * (promoters - detractors) / len(nps)
        out["nps"] = {"n": len(nps), "value": value, "low": 100 * low, "high": 100 * high}
    else:
        out["nps"] = None
    csat = _numbers(group, "csat")
    csat = csat[~np.isnan(csat)]
    if len(csat):
        top2 = int((csat >= 4).sum())
        low, high = wilson_interval(top2, len(csat), z)
        out["csat"] = {"n": len(csat), "value": 100 * top2 / len(csat), "low": 100 * low}
        out["csat"]["high"] = 100 * float(high)
    else:
        out["csat"] = None
    ces = _mean_interval(_numbers(group, "ces"), confidence)
    out["ces"] = (
        {"n": ces["n"], "value": ces["mean"], "low": ces["low"], "high": ces["high"]}
        if ces["n"]
        else None
    )
    return out


def _topics_of(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (voice, topic mentioned): the voice's columns plus topic and topic_score."""
    import pandas as pd

    if "topics" not in frame.columns or frame.empty:
        return pd.DataFrame(columns=[*frame.columns, "topic", "topic_sentiment", "topic_score"])
    rows = frame.reset_index(drop=True)
    positions, topics, polarities, scores = [], [], [], []
    for position, mentioned in enumerate(rows["topics"].tolist()):
        for item in mentioned if isinstance(mentioned, list) else []:
            if isinstance(item, dict) and item.get("topic"):
                positions.append(position)
                topics.append(str(item["topic"]))
                polarities.append(item.get("sentiment"))
                score = item.get("score")
                scores.append(float(score) if isinstance(score, int | float) else np.nan)
    out = rows.iloc[positions].reset_index(drop=True)
    out["topic"] = topics
    out["topic_sentiment"] = polarities
    out["topic_score"] = scores
    return out


def _quotes(group: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    """Representative quotes: the most positive, the most negative, then the most typical.

    Typical = sentiment closest to the group's mean; ties go to the lower id, so the same
    voices give the same quotes. Only voices with text; none chosen twice.
    """
    if limit <= 0 or "text" not in group.columns:
        return []
    texted = group[group["text"].notna() & (group["text"].astype(str).str.strip() != "")]
    if texted.empty:
        return []
    score = _numbers(texted, "sentiment_score")
    delight = np.nan_to_num(_numbers(texted, "delight"))
    ids = _numbers(texted, "id")
    ids = np.where(np.isnan(ids), np.arange(len(texted)), ids)
    known = ~np.isnan(score)
    chosen: list[int] = []
    if known.any():
        filled = np.where(known, score, 0.0)
        mean = float(score[known].mean())
        candidates = [
            np.lexsort((ids, -delight, -np.where(known, filled, -np.inf))),  # most positive
            np.lexsort((ids, np.where(known, filled, np.inf))),  # most negative
            np.lexsort((ids, np.where(known, np.abs(filled - mean), np.inf))),  # typical
        ]
        for ranking in candidates:
            pick = next((int(i) for i in ranking if int(i) not in chosen), None)
            if pick is not None:
                chosen.append(pick)
    for i in np.argsort(ids, kind="stable"):
        if len(chosen) >= limit:
            break
        if int(i) not in chosen:
            chosen.append(int(i))
    out = []
    for i in chosen[:limit]:
        row = texted.iloc[i]
        out.append(
            {
                "id": None if np.isnan(ids[i]) else int(ids[i]),
                "text": str(row["text"]),
                "sentiment": row.get("sentiment") if "sentiment" in texted.columns else None,
                "sentiment_score": None if np.isnan(score[i]) else round(float(score[i]), 3),
            }
        )
    return out


def touchpoint_summary(
    voices: pd.DataFrame,
    by: str = "touchpoint",
    *,
    confidence: float = 0.95,
    quotes: int = 3,
    top_topics: int = 5,
) -> pd.DataFrame:
    """Per touchpoint (or any `by` column): what its voices say, scored with intervals.

    Columns: `by`, `voices`, `customers`, `nps`/`csat`/`ces` ({n, value, low, high} or None),
    `sentiment` ({n, mean, low, high}), `positive_share`, `negative_share`, `delight` (mean),
    `emotions` (mean intensity of each emotion), `topics` (the most mentioned, each with
    its count and share of negative mentions) and `quotes` (representative voices).
    Busiest first.
    """
    import pandas as pd

    if by not in voices.columns:
        raise InvalidInput(
            f"The voices have no column {by!r} to group by.",
            f"顧客の声に集計の軸となる列 {by!r} がありません。",
            by=by,
        )
    rows: list[dict[str, Any]] = []
    mentions = _topics_of(voices[voices[by].notna()])
    for name, group in voices[voices[by].notna()].groupby(by, sort=True):
        labels = group["sentiment"] if "sentiment" in group.columns else pd.Series(dtype=object)
        sentiment = _mean_interval(_numbers(group, "sentiment_score"), confidence)
        analysed = int(labels.notna().sum())
        row: dict[str, Any] = {
            by: name,
            "voices": len(group),
            "customers": int(group["customer"].nunique()) if "customer" in group.columns else 0,
            **_scores(group, confidence),
            "sentiment": sentiment,
            "positive_share": float((labels == "positive").sum() / analysed) if analysed else None,
            "negative_share": float((labels == "negative").sum() / analysed) if analysed else None,
            "delight": _mean_interval(_numbers(group, "delight"), confidence)["mean"],
            "emotions": _mean_emotions(group),
            "topics": _top_topics(mentions[mentions[by] == name], top_topics),
            "quotes": _quotes(group, quotes),
        }
        rows.append(row)
    result = pd.DataFrame(rows)
    if result.empty:
        return result
    order = np.lexsort((result[by].astype(str).to_numpy(), -result["voices"].to_numpy()))
    return result.iloc[order].reset_index(drop=True)


def _mean_emotions(group: pd.DataFrame) -> dict[str, float]:
    if "emotions" not in group.columns:
        return {}
    totals: dict[str, float] = {}
    count = 0
    for emotions in group["emotions"].tolist():
        if isinstance(emotions, dict) and emotions:
            count += 1
            for name, value in emotions.items():
                totals[name] = totals.get(name, 0.0) + float(value or 0.0)
    return {name: round(total / count, 4) for name, total in totals.items()} if count else {}


def _top_topics(mentions: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    if mentions.empty:
        return []
    negative = mentions["topic_sentiment"] == "negative"
    counts = mentions.groupby("topic").size()
    negatives: dict[Any, Any] = negative.groupby(mentions["topic"]).sum().to_dict()
    ranked = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))[:limit]
    return [
        {"topic": str(t), "count": int(c), "negative_share": float(negatives[t]) / float(c)}
        for t, c in ranked
    ]


def emotion_curve(
    voices: pd.DataFrame,
    stages: Sequence[str],
    stage: str = "stage",
    score: str = "sentiment_score",
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean sentiment across the stages, in order, with Student t intervals.

    Columns: `stage`, `n`, `mean`, `ci_low`, `ci_high`, `delight` (mean), `negative_share`.
    A stage without analysed voices has n = 0 and NaN values (the curve has a gap).
    """
    import pandas as pd

    rows = []
    for name in stages:
        group = voices[voices[stage] == name] if stage in voices.columns else voices.iloc[:0]
        interval = _mean_interval(_numbers(group, score), confidence)
        labels = group["sentiment"] if "sentiment" in group.columns else pd.Series(dtype=object)
        analysed = int(labels.notna().sum())
        rows.append(
            {
                "stage": name,
                "n": interval["n"],
                "mean": interval["mean"],
                "ci_low": interval["low"],
                "ci_high": interval["high"],
                "delight": _mean_interval(_numbers(group, "delight"), confidence)["mean"],
                "negative_share": (
                    float((labels == "negative").sum() / analysed) if analysed else np.nan
                ),
            }
        )
    return pd.DataFrame(rows)


def pain_points(
    voices: pd.DataFrame,
    by: Sequence[str] = ("touchpoint", "topic"),
    *,
    min_volume: int = 3,
    confidence: float = 0.95,
    quotes: int = 1,
) -> pd.DataFrame:
    """Where it hurts most: groups ranked by volume x negativity.

    With `topic` in `by`, each mention of a topic is counted with its own polarity and
    score (a voice praising the room and complaining of noise counts once each); otherwise
    each voice with its sentiment. `negativity` is the mean of max(0, -score) over the
    group's mentions (0 = nothing negative, 1 = all as negative as can be) and `score` =
    `volume` x `negativity`. `negative_share` (with its Wilson interval) is the share of
    negative mentions. Groups under `min_volume` mentions are left out.
    """
    import pandas as pd

    keys = list(by)
    mentions = _topics_of(voices) if "topic" in keys else voices.copy()
    if "topic" in keys:
        score = mentions["topic_score"].to_numpy(dtype=float)
        fallback = _numbers(mentions, "sentiment_score")
        mentions["_score"] = np.where(np.isnan(score), fallback, score)
        mentions["_negative"] = mentions["topic_sentiment"] == "negative"
    else:
        mentions["_score"] = _numbers(mentions, "sentiment_score")
        labels = mentions["sentiment"] if "sentiment" in mentions.columns else None
        mentions["_negative"] = labels == "negative" if labels is not None else False
    missing = [k for k in keys if k not in mentions.columns]
    if missing:
        raise InvalidInput(
            f"The voices have no column {', '.join(missing)} to group pain points by.",
            f"顧客の声にペインポイントの集計軸となる列 {', '.join(missing)} がありません。",
            by=keys,
        )
    mentions = mentions.dropna(subset=[*keys, "_score"])
    columns = [*keys, "volume", "negative", "negativity", "score", "negative_share"]
    if mentions.empty:
        return pd.DataFrame(columns=[*columns, "negative_low", "negative_high", "quotes"])
    mentions["_hurt"] = np.clip(-mentions["_score"].to_numpy(dtype=float), 0.0, 1.0)
    rows = []
    z = z_critical(confidence)
    for name, group in mentions.groupby(keys, sort=True):
        volume = len(group)
        if volume < min_volume:
            continue
        negative = int(group["_negative"].sum())
        negativity = float(group["_hurt"].mean())
        low, high = wilson_interval(negative, volume, z)
        values = name if isinstance(name, tuple) else (name,)
        rows.append(
            {
                **dict(zip(keys, values, strict=True)),
                "volume": volume,
                "negative": negative,
                "negativity": negativity,
                "score": volume * negativity,
                "negative_share": negative / volume,
                "negative_low": float(low),
                "negative_high": float(high),
                "quotes": _hurting_quotes(group, quotes),
            }
        )
    result = pd.DataFrame(rows, columns=[*columns, "negative_low", "negative_high", "quotes"])
    if result.empty:
        return result
    names = result[keys].astype(str).agg(" ".join, axis=1).to_numpy()
    order = np.lexsort((names, -result["score"].to_numpy(dtype=float)))
    return result.iloc[order].reset_index(drop=True)


def _hurting_quotes(group: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    """The group's most negative voices with text, most hurting first (ties: lower id)."""
    if limit <= 0 or "text" not in group.columns:
        return []
    texted = group[group["text"].notna() & (group["_hurt"] > 0)]
    ids = _numbers(texted, "id")
    order = np.lexsort((np.nan_to_num(ids, nan=np.inf), -texted["_hurt"].to_numpy(dtype=float)))
    out: list[dict[str, Any]] = []
    for i in order:
        if len(out) >= limit:
            break
        row = texted.iloc[int(i)]
        voice = None if np.isnan(ids[i]) else int(ids[i])
        if voice is not None and any(q["id"] == voice for q in out):
            continue
        out.append(
            {
                "id": voice,
                "text": str(row["text"]),
                "sentiment": row.get("sentiment") if "sentiment" in texted.columns else None,
                "sentiment_score": round(-float(row["_hurt"]), 3),
            }
        )
    return out


def moments_of_truth(
    voices: pd.DataFrame,
    customer: str = "customer",
    touchpoint: str = "touchpoint",
    outcome: str = "nps",
    sentiment: str = "sentiment_score",
    *,
    min_customers: int = 10,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """The touchpoints whose experience moves overall loyalty most (key-driver analysis).

    Per customer: the outcome is the mean of their `outcome` answers (NPS 0-10: overall
    loyalty); each touchpoint's predictor is the mean sentiment of the customer's voices
    there, 0 (neutral) where they left none. Relative weights (Johnson 2000) split the R^2
    of that regression among the touchpoints; `share` is each one's part of R^2, `ci_low`
    and `ci_high` a percentile bootstrap interval of its weight, `significant` the
    Tonidandel-LeBreton test against a random predictor, `direction` +1 when a better
    experience there goes with higher loyalty. Touchpoints experienced by fewer than
    `min_customers` of the customers with an outcome are left out. Strongest first;
    `attrs["r2"]` and `attrs["customers"]` describe the model.
    """
    import pandas as pd

    needed = [customer, touchpoint, outcome, sentiment]
    missing = [c for c in needed if c not in voices.columns]
    if missing:
        raise InvalidInput(
            f"Moments of truth need the columns {', '.join(missing)} in the voices.",
            f"真実の瞬間の分析には、顧客の声に列 {', '.join(missing)} が必要です。",
            missing=missing,
        )
    frame = voices[needed].copy()
    frame[outcome] = pd.to_numeric(frame[outcome], errors="coerce")
    frame[sentiment] = pd.to_numeric(frame[sentiment], errors="coerce")
    loyalty = frame.dropna(subset=[customer, outcome]).groupby(customer)[outcome].mean()
    felt = frame.dropna(subset=[customer, touchpoint, sentiment])
    felt = felt[felt[customer].isin(loyalty.index)]
    experience = felt.groupby([customer, touchpoint])[sentiment].mean().unstack(touchpoint)
    experience = experience.reindex(loyalty.index)
    reach = experience.notna().sum()
    kept = sorted(str(t) for t in reach[reach >= min_customers].index)
    if not kept or len(loyalty) < 10:
        raise InsufficientData(
            f"Moments of truth need at least 10 customers with an {outcome.upper()} answer and a "
            f"touchpoint where {min_customers} of them left a voice (got {len(loyalty)} "
            "customers). Widen the period or collect more answers.",
            f"真実の瞬間の分析には、{outcome.upper()} の回答がある顧客 10 人以上と、そのうち "
            f"{min_customers} 人以上が声を残したタッチポイントが必要です(顧客 {len(loyalty)} 人)。"
            "期間を広げるか、回答を集めてください。",
            customers=len(loyalty),
        )
    experience.columns = [str(c) for c in experience.columns]
    x = experience[kept].fillna(0.0).to_numpy(dtype=float)
    y = loyalty.to_numpy(dtype=float)
    fitted = bootstrap_relative_weights(x, y, n_boot=n_boot, confidence=confidence, seed=seed)
    total = fitted.r2 if fitted.r2 > 0 else np.nan
    result = pd.DataFrame(
        {
            touchpoint: kept,
            "customers": [int(experience[t].notna().sum()) for t in kept],
            "weight": fitted.weights,
            "share": fitted.weights / total,
            "ci_low": fitted.ci_low,
            "ci_high": fitted.ci_high,
            "significant": fitted.significant,
            "direction": fitted.direction.astype(int),
            "mean_sentiment": [float(experience[t].mean()) for t in kept],
        }
    )
    order = np.lexsort((result[touchpoint].to_numpy(), -result["weight"].to_numpy()))
    result = result.iloc[order].reset_index(drop=True)
    result.attrs["r2"] = fitted.r2
    result.attrs["customers"] = fitted.n
    return result
