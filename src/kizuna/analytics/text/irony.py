"""Irony: praise that, next to a complaint, means the opposite.

2時間も待たされて本当に素晴らしいサービスですね is a complaint: strong praise AFTER a
complaint in the same clause, closed by a sentence-final ね/な/わ. In English, praise next
to a complaint with "another" or "again" (Great, another delay). A contrast marker starts
a new clause (sentiment.py), so 待たされたけど美味しかった is never irony. ("Thanks for"
is no marker: in customer posts it thanks as often as it mocks.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kizuna.analytics.text.tokenize import Tokens

__all__ = ["ironic_cues"]

_SENTENCE_END = frozenset({"。", "!", "?", "\n", ".", "．", "!?"})
_IRONY_PRAISE = 0.6  # praise at least this strong can be ironic
_EN_MARKERS = frozenset({"another", "again", "yet"})
_EN_PRAISE = frozenset(
    {
        "great",
        "love",
        "awesome",
        "wonderful",
        "perfect",
        "nice",
        "fantastic",
        "brilliant",
        "amazing",
        "excellent",
        "best",
    }
)


def ironic_cues(
    tokens: Tokens,
    cues: Sequence[Any],
    clause_starts: list[int],
    language: str,
    finals: frozenset[str],
) -> list[int]:
    """Indexes of praise cues that are irony: praise after (Japanese) or next to
    (English) a complaint in the same clause, with a marker of irony (ね/な/わ closing the
    sentence; "another" or "again" in English). A contrast marker starts a new
    clause, so 待たされたけど美味しかった is never irony."""
    if len(cues) < 2:
        return []
    keys = tokens.keys
    out: list[int] = []
    negative_at: dict[int, int] = {}  # clause -> first token of its first complaint
    for cue in cues:
        if cue.score < 0 and not cue.match.entry.request:
            negative_at.setdefault(cue.clause, cue.match.first)
    if not negative_at:
        return []
    for index, cue in enumerate(cues):
        entry = cue.match.entry
        if (
            cue.score <= 0
            or entry.polarity is None
            or entry.polarity < _IRONY_PRAISE
            or cue.clause not in negative_at
        ):
            continue
        first = cue.match.first
        clause = cue.clause
        end = clause_starts[clause + 1] if clause + 1 < len(clause_starts) else len(keys)
        if language == "ja":
            if negative_at[clause] >= first:
                continue
            tail = keys[cue.match.last : end]
            stop = next((n for n, key in enumerate(tail) if key in _SENTENCE_END), len(tail))
            if finals.isdisjoint(tail[:stop]):
                continue
        else:
            start = clause_starts[clause]
            if keys[first] not in _EN_PRAISE or _EN_MARKERS.isdisjoint(keys[start:end]):
                continue
        out.append(index)
    return out
