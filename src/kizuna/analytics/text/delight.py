"""Delight (感動) and the expectation gap: exceeded, met, below or unknown.

Satisfaction follows expectation disconfirmation (Oliver 1980, J. Marketing Research
17(4)): below expectations disappoints, meeting them satisfies, and exceeding them with
joy and surprise delights (Oliver, Rust & Varki 1997, J. Retailing 73(3)). So delight
needs a cue of exceeded expectations or surprise (期待以上, 想像以上, 感動, まさか,
"blew me away") in a clause that is not negative; a flat positive text (普通に良かった)
has none and stays "met" with a delight near zero. Only very strong praise adds a little
delight without such a cue.
"""

from __future__ import annotations

from typing import NamedTuple

from kizuna.analytics.text.sentiment import TextScore

__all__ = ["DelightResult", "score_delight"]

_PRAISE_FLOOR = 0.75  # sentiment above which strong praise alone adds delight ...
_PRAISE_MAX = 0.25  # ... up to this much
_EXCEEDED_AT = 0.5  # delight from cues at or above this means "exceeded"


class DelightResult(NamedTuple):
    delight: float  # 0..1
    expectation: str  # exceeded, met, below, unknown
    delight_cues: list[int]  # indexes into scored.cues that raised delight
    expectation_cues: list[tuple[int, str]]  # (cue index, gap it signalled)


def score_delight(scored: TextScore, sentiment: str | None) -> DelightResult:
    """Delight in 0..1 and the expectation gap of one scored text."""
    remaining = 1.0
    delight_cues: list[int] = []
    gaps: list[tuple[int, str]] = []
    for index, cue in enumerate(scored.cues):
        entry = cue.match.entry
        clause_score = scored.clause_scores[cue.clause]
        if entry.delight:
            if cue.ironic:
                gaps.append((index, "below"))  # 本当に素晴らしいサービスですね (after a wait)
            elif cue.negated:
                gaps.append((index, "below"))  # 感動はなかった
            elif clause_score >= 0:
                remaining *= 1.0 - entry.delight
                delight_cues.append(index)
                if entry.delight >= _EXCEEDED_AT:
                    gaps.append((index, "exceeded"))
        gap = entry.expectation
        if gap is None:
            continue
        if gap == "short_of":
            if cue.negated:  # 評判ほどではない: the negation confirms "below"
                gaps.append((index, "below"))
        elif gap == "comparative":
            if clause_score < 0:
                gaps.append((index, "below"))
            elif clause_score > 0:
                gaps.append((index, "exceeded"))
        elif cue.negated:
            gaps.append((index, "below" if gap == "met" else "met"))
        else:
            gaps.append((index, gap))
    delight = 1.0 - remaining
    if scored.score > _PRAISE_FLOOR and sentiment in ("positive", None):
        bonus = _PRAISE_MAX * (scored.score - _PRAISE_FLOOR) / (1.0 - _PRAISE_FLOOR)
        delight = 1.0 - (1.0 - delight) * (1.0 - bonus)
    if sentiment == "negative":
        delight *= 0.2  # a surprise inside a complaint is not delight
    kinds = {gap for _, gap in gaps}
    if "exceeded" in kinds and "below" in kinds:
        expectation = "below" if sentiment == "negative" else "exceeded"
    elif kinds:
        expectation = next(g for g in ("exceeded", "below", "met") if g in kinds)
    elif sentiment == "negative":
        expectation = "below"
    elif sentiment == "positive":
        expectation = "met"
    else:
        expectation = "unknown"
    return DelightResult(round(delight, 3), expectation, delight_cues, gaps)
