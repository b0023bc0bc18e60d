"""Emotion scores (Plutchik's eight) from word, emoji and kaomoji cues.

Each emotion sums the cues that name it (times their intensifiers; negated cues count
for nothing: 嬉しくない is not joy) and is squashed to 0..1 with 1 - exp(-k * sum), so
one plain cue gives 0.5 and each further cue adds less. Emotions are cues for a screen
and for routing, not a diagnosis.
"""

from __future__ import annotations

import math

from kizuna.analytics.text.lexicon import EMOTIONS
from kizuna.analytics.text.sentiment import TextScore

__all__ = ["score_emotions"]

_RATE = math.log(2.0)  # one plain cue -> 0.5
_ZERO = dict.fromkeys(EMOTIONS, 0.0)


def score_emotions(scored: TextScore) -> dict[str, float]:
    """Score in 0..1 for each of the eight emotions (all present, zero when no cue)."""
    sums: dict[str, float] | None = None
    for cue in scored.cues:
        emotions = cue.match.entry.emotions
        if not emotions or cue.negated:
            continue
        if sums is None:
            sums = dict(_ZERO)
        strength = min(abs(cue.multiplier), 2.0)
        for emotion in emotions:
            sums[emotion] += strength
    if sums is None:
        return dict(_ZERO)
    return {
        emotion: round(1.0 - math.exp(-_RATE * total), 3) if total else 0.0
        for emotion, total in sums.items()
    }
