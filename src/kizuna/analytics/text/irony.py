"""Irony: praise that, next to a complaint, means the opposite.

2時間も待たされて本当に素晴らしいサービスですね is a complaint: strong praise AFTER a
complaint in the same clause, closed by a sentence-final ね/な/わ. A contrast marker
starts a new clause (sentiment.py), so 待たされたけど美味しかった is never irony.

English marks sarcasm differently, so its rule is its own: praise is ironic when a
complaint context (a negative cue, or a waiting time such as "two hours", "forever")
comes before it in its sentence or the one before, with no contrast marker between,
AND the praise carries a marker of sarcasm:
- "another", "again" or "yet" in its sentence ("Great, another delay"; or in the
  sentence before when the praise stands alone: "Yet another late delivery. Fantastic.");
- an exclamation around it: "what (a) wonderful service", "how lovely", "just
  brilliant", "oh great", or "great job" / "nice work" said of what went wrong;
- "as always" / "as usual" after it ("lovely service as always").
"Thanks a lot" / "thanks a bunch" / "thanks so much" and "love how" / "love it when"
are ironic with a complaint context anywhere in their sentence ("Thanks a lot for
forgetting our order again", "Love how the app logs me out every five minutes").
Plain "thanks for" is no marker: in customer posts it thanks as often as it mocks; and
"Slow service, great food" (no marker) is praise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kizuna.analytics.text.tokenize import Tokens

__all__ = ["ironic_cues", "ironic_cues_en"]

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
        "lovely",
        "superb",
        "terrific",
        "fabulous",
        "marvelous",
        "marvellous",
        "splendid",
        "outstanding",
        "stellar",
        "thanks",
        "thank",
    }
)
_EN_EXCLAIM = frozenset({"what", "how", "just", "oh"})  # what (a) great ..., just great
_EN_DEED = frozenset({"job", "work", "move", "going"})  # great job, nice work, way to go
_EN_THANKS = (("a", "lot"), ("a", "bunch"), ("so", "much"), ("very", "much"))
_LOVE_HOW = (["how"], ["when"], ["it"], ["that"])  # love how ..., love it when ...
_EN_USUAL = (("as", "always"), ("as", "usual"), ("as", "ever"))
# A waiting time is a complaint context: "two hours", "an hour", "forty minutes", "forever".
_EN_DURATIONS = frozenset(
    {"hour", "hours", "hrs", "minute", "minutes", "mins", "days", "weeks", "months"}
)
_EN_ALWAYS_LONG = frozenset({"forever", "ages", "eternity"})
_EN_COUNTS = frozenset(
    {
        "a",
        "an",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "ninety",
        "several",
        "few",
        "couple",
        "many",
        "multiple",
        "of",
        "-",
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


def ironic_cues_en(
    tokens: Tokens, cues: Sequence[Any], clause_starts: list[int], already: list[int]
) -> list[int]:
    """English sarcasm beyond `ironic_cues` (see the module docstring): indexes of praise
    cues with a complaint context and a marker of sarcasm, not in `already`."""
    keys = tokens.keys
    size = len(keys)
    praise = [
        index
        for index, cue in enumerate(cues)
        if cue.score > 0
        and index not in already
        and cue.match.entry.polarity is not None
        and keys[cue.match.first] in _EN_PRAISE
    ]
    if not praise:
        return []
    context = sorted(
        [cue.match.first for cue in cues if cue.score < 0 and not cue.match.entry.request]
        + _waiting_times(keys)
    )
    if not context:
        return []
    ends = [i for i, key in enumerate(keys) if key in _SENTENCE_END]
    # Clause starts that are contrast markers (not the first word after a sentence end).
    contrasts = [c for c in clause_starts if c > 0 and keys[c - 1] not in _SENTENCE_END]
    out: list[int] = []
    for index in praise:
        first = cues[index].match.first
        last = cues[index].match.last
        this_start = _sentence_start(ends, first)
        this_end = next((e for e in ends if e >= last), size)
        previous_start = _sentence_start(ends, this_start - 1) if this_start > 0 else 0
        before = [
            c
            for c in context
            if previous_start <= c < first and not any(c < k <= first for k in contrasts)
        ]
        after = [c for c in context if last <= c < this_end]
        word = keys[first]
        window = keys[this_start:this_end]
        alone = this_end - this_start <= 4  # "Fantastic." "Great job, guys."
        if any(this_start < k < this_end for k in contrasts):
            continue  # "Great staff though": a concession, not sarcasm
        if word in ("thanks", "thank"):
            at = first + 2 if keys[first + 1 : first + 2] == ["you"] else first + 1
            tail = tuple(keys[at : at + 2])
            after = [c for c in after if c >= at + 2]  # not the "so much" of the thanks
            if (before or after) and tail in _EN_THANKS:
                out.append(index)
            continue
        if word == "love" and (after or before) and keys[last : last + 1] in _LOVE_HOW:
            out.append(index)
            continue
        if not before:
            continue
        again = not _EN_MARKERS.isdisjoint(window) or (
            alone and not _EN_MARKERS.isdisjoint(keys[previous_start:this_start])
        )
        exclaim = (first > 0 and keys[first - 1] in _EN_EXCLAIM) or (
            first > 1 and keys[first - 2] == "what" and keys[first - 1] == "a"
        )
        deed = last < size and keys[last] in _EN_DEED
        usual = any(
            tuple(keys[j : j + 2]) in _EN_USUAL for j in range(last, min(this_end, size - 1))
        )
        if again or exclaim or deed or usual:
            out.append(index)
    return out


def _sentence_start(ends: list[int], at: int) -> int:
    """First token of the sentence holding token `at`."""
    start = 0
    for end in ends:
        if end >= at:
            break
        start = end + 1
    return start


def _waiting_times(keys: list[str]) -> list[int]:
    """Token positions of waiting times: "two hours", "an hour", "45 minutes", "forever"."""
    found = []
    for i, key in enumerate(keys):
        if key in _EN_ALWAYS_LONG:
            found.append(i)
        elif key in _EN_DURATIONS and i > 0:
            before = keys[i - 1]
            if before in _EN_COUNTS or before.isdigit():
                found.append(i)
        elif key[:1].isdigit() and key.endswith(("hrs", "hr", "mins", "min", "h")):
            found.append(i)  # 2hrs, 45mins
    return found
