"""Experience values after Schmitt (1999): sense, feel, think, act, relate (multi-label).

A text carries a value when at least one of that value's cues occurs un-negated
(美味しい -> sense, 感動 -> feel, 勉強になった -> think, また行きたい -> act, 家族で ->
relate). The cue lists are data in `data/experience.yaml`.
"""

from __future__ import annotations

from kizuna.analytics.text.lexicon import EXPERIENCE_VALUES
from kizuna.analytics.text.sentiment import TextScore

__all__ = ["find_experience_values"]


def find_experience_values(scored: TextScore) -> list[str]:
    """The experience values a text expresses, in Schmitt's order."""
    found: set[str] = set()
    for cue in scored.cues:
        if cue.match.entry.experiences and not cue.negated:
            found.update(cue.match.entry.experiences)
    return [value for value in EXPERIENCE_VALUES if value in found]
