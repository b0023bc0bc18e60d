"""English constructions of delight that a fixed phrase list would miss.

Delight is the expectation gap on the good side (delight.py; Oliver, Rust & Varki 1997),
and English says it with a verb of surpassing and "expectations" a few words later
("exceeded all our expectations", "surpassed every expectation", "beat my
expectations") or with "beyond" and what was expected or imagined ("beyond anything we
expected", "far beyond what we had imagined"). Each is a `Match` on a synthetic `Entry`
with delight 1.0, so it is negated ("did not exceed my expectations" reads below),
scored and shown as a cue with character offsets like a lexicon phrase. A phrase the
lexicon already matched there is left to the lexicon. Nothing here touches the database
or the web.
"""

from __future__ import annotations

from collections.abc import Sequence

from kizuna.analytics.text.absence import construction_entry, construction_match
from kizuna.analytics.text.lexicon import Match
from kizuna.analytics.text.tokenize import PUNCT, Tokens

__all__ = ["find_delight_en"]

EXCEEDED = construction_entry(
    "exceeded_expectations", 0.6, delight=1.0, emotions=("surprise",), experiences=("feel",)
)
_SURPASS = frozenset(
    {
        "exceed",
        "exceeded",
        "exceeds",
        "exceeding",
        "surpass",
        "surpassed",
        "surpasses",
        "surpassing",
        "beat",
        "beats",
        "outdid",
        "outdone",
    }
)
_EXPECTATIONS = frozenset({"expectation", "expectations"})
_BEYOND = frozenset({"beyond"})
_EXPECTED = frozenset(
    {"expected", "imagined", "hoped", "expectations", "imagination", "dreamed", "dreamt", "dreams"}
)
_REACH = 5  # words between the verb (or "beyond") and what was expected
_TRIGGERS = _SURPASS | _BEYOND


def find_delight_en(tokens: Tokens, matches: Sequence[Match]) -> list[Match]:
    """Delight constructions of an English text, outside the lexicon's own phrases."""
    keys = tokens.keys
    if _TRIGGERS.isdisjoint(keys):
        return []
    kinds = tokens.kinds
    covered = {j for m in matches if m.last - m.first > 1 for j in range(m.first, m.last)}
    found: list[Match] = []
    for i, key in enumerate(keys):
        if i in covered or key not in _TRIGGERS:
            continue
        goal = _EXPECTATIONS if key in _SURPASS else _EXPECTED
        for j in range(i + 1, min(i + 1 + _REACH, len(keys))):
            if kinds[j] == PUNCT:
                break
            if keys[j] in goal:
                if j not in covered:
                    found.append(construction_match(tokens, i, j, EXCEEDED))
                break
    return found
