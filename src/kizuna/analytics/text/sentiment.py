"""Rule-based polarity: clauses, contrast, negation, intensifiers, requests, per-topic polarity.

The method follows VADER (Hutto & Gilbert 2014, ICWSM) adapted to Japanese word order:
- a cue's score is its lexicon score times the intensifiers/hedges before it (とても 1.8,
  少し 0.5); Japanese negation comes AFTER the predicate (美味しく+ない, 満足し+ませ+ん),
  English negation up to three words before ("not very good"); a negated cue is
  multiplied by -0.74 (VADER's N_SCALAR), so 悪くない is mildly positive;
- text is cut into clauses at sentence ends and at contrast markers (が, けど, しかし,
  but, however); clauses before a marker weigh 0.5 and the one after 1.5 (VADER's "but"
  rule), so the clause after the contrast decides;
- polite requests and complaints (〜してほしかった, 〜ていただけると助かります, "should
  have") are negative, and praise words in the same clause describe a wish, not what
  happened, so they are dropped;
- constructions without a polarity word (absence, excess, intention to return, irony:
  grammar.py) arrive as matches like any lexicon phrase; ironic praise is scored as a
  complaint;
- the sum is squashed to -1..1 with x / sqrt(x^2 + alpha) (VADER's normalisation).

Each polarity cue is also credited to the nearest topic mention in its clause (the one
before it, else the one after), which yields per-topic polarity: 朝食 positive, 部屋 negative.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import compress

from kizuna.analytics.text.irony import ironic_cues, ironic_cues_en
from kizuna.analytics.text.lexicon import Entry, Lexicon, Match
from kizuna.analytics.text.tokenize import CONJ_PARTICLE, CONTENT, PUNCT, Tokens

__all__ = [
    "NEUTRAL_BAND",
    "Scored",
    "TextScore",
    "contrast_spans",
    "label_of",
    "score_text",
    "squash",
]

NEGATION_SCALAR = -0.74  # Hutto & Gilbert (2014), VADER N_SCALAR
BEFORE_CONTRAST = 0.5  # VADER: words before "but" weigh half ...
AFTER_CONTRAST = 1.5  # ... and words after it one and a half
EXCLAMATION = 1.2  # a clause ending in "!" is stronger (VADER adds per "!")
ALPHA = 1.0  # VADER uses 15 on its -4..4 word scale; our words are -1..1
NEUTRAL_BAND = 0.1  # |score| below this is neutral
MIXED_FLOOR = 0.25  # both sides at least this strong ...
MIXED_RATIO = 0.5  # ... and the weaker at least half the stronger: mixed

_IS_PUNCT = PUNCT.__eq__
_SENTENCE_END = frozenset({"。", "!", "?", "\n", ".", "．", "!?"})
# Light verbs between a predicate and its negation: 満足 し ませ ん, 良く あり ませ ん.
_LIGHT_VERBS = frozenset(
    {
        "為る",
        "する",
        "有る",
        "ある",
        "居る",
        "いる",
        "成る",
        "なる",
        "出来る",
        "できる",
        "れる",
        "られる",
        # nominalisers: 困ることはない, 美味しいわけではない
        "こと",
        "事",
        "訳",
        "わけ",
    }
)
# て + いる/ある between a predicate and its negator is aspect, not a new clause.
_ASPECT = frozenset({"居る", "いる", "有る", "ある"})
# 〜しか〜ない is "only", not negation: 感謝しかありません.
_ONLY = frozenset({"しか"})
SHORT_OF = -0.6  # 評判ほどではない, 期待したほどではなかった: the negation confirms "below"


@dataclass(slots=True)
class Scored:
    """A matched cue with where it sits and what the shifters did to it."""

    match: Match
    clause: int
    negated: bool
    multiplier: float
    score: float  # polarity after shifters; 0.0 when the cue carries none
    counted: bool  # False when dropped (praise inside a request clause)
    ironic: bool = False  # praise read as irony (grammar.ironic_cues): scored negative


@dataclass(slots=True)
class TextScore:
    cues: list[Scored]
    weights: list[float]  # per clause
    clause_scores: list[float]  # weighted sum of cue scores per clause
    score: float  # -1..1
    positive: float  # weighted sums of each side
    negative: float
    negations: list[tuple[int, int]]  # character spans of negators that fired
    contrasts: list[tuple[int, int]]
    topics: dict[str, float]  # topic -> summed score, in order of first mention
    clause_starts: list[int]  # first token of each clause


def squash(total: float) -> float:
    """VADER's normalisation of a sum to -1..1: x / sqrt(x^2 + alpha)."""
    return total / math.sqrt(total * total + ALPHA)


def label_of(score: float, positive: float, negative: float) -> str:
    if (
        positive >= MIXED_FLOOR
        and negative >= MIXED_FLOOR
        and min(positive, negative) >= MIXED_RATIO * max(positive, negative)
    ):
        return "mixed"
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def _clauses(
    tokens: Tokens, language: str, contrast: set[str]
) -> tuple[list[int], list[float], list[bool], list[tuple[int, int]]]:
    """First token of each clause, clause weights, '!' flags and contrast spans.

    Only punctuation and contrast words can change the clause, so only they are visited.
    """
    keys, kinds = tokens.keys, tokens.kinds
    # Punctuation and contrast words, found by two scans in C (compress/map) rather than
    # a Python loop over every token.
    positions = range(len(keys))
    puncts = list(compress(positions, map(_IS_PUNCT, kinds)))
    contrasts = list(compress(positions, map(contrast.__contains__, keys)))
    if not contrasts:
        if not puncts:
            return [0], [1.0], [False], []
        marks = puncts
    else:
        marks = sorted({*puncts, *contrasts})
    starts = [0]
    weights = [1.0]
    bangs = [False]
    spans: list[tuple[int, int]] = []
    sentence_first = 0  # first clause of the current sentence
    previous_first = 0  # first clause of the previous sentence
    japanese = language == "ja"
    current = 0
    for i in marks:
        key, kind = keys[i], kinds[i]
        if kind != PUNCT:
            if japanese and not (
                kind == CONJ_PARTICLE or (kind == CONTENT and (i == 0 or kinds[i - 1] == PUNCT))
            ):
                continue
            # Still at a sentence's start while nothing but punctuation came since it
            # began: every token in [start, i) is one of `puncts`.
            start = starts[current]
            at_sentence_start = (
                current == sentence_first
                and bisect_left(puncts, i) - bisect_left(puncts, start) == i - start
            )
            if at_sentence_start:
                damp = range(previous_first, current)
            else:
                damp = range(sentence_first, current + 1)
            for clause in damp:
                weights[clause] *= BEFORE_CONTRAST
            if at_sentence_start:
                weights[current] = AFTER_CONTRAST
            else:
                weights.append(AFTER_CONTRAST)
                bangs.append(False)
                starts.append(i)
                current += 1
            spans.append(tokens.span(i, i))
            continue
        if key in _SENTENCE_END:
            if key in ("!", "!?"):
                bangs[current] = True
            start = starts[current]
            if not (
                current == sentence_first
                and bisect_left(puncts, i) - bisect_left(puncts, start) == i - start
            ):
                weights.append(1.0)
                bangs.append(False)
                starts.append(i + 1)
                current += 1
                previous_first, sentence_first = sentence_first, current
    return starts, weights, bangs, spans


def contrast_spans(tokens: Tokens, language: str, contrast: set[str]) -> list[tuple[int, int]]:
    """Character spans of the contrast markers that split clauses (が, けど, but)."""
    return _clauses(tokens, language, contrast)[3]


def _multiplier(tokens: Tokens, first: int, multipliers: dict[int, float]) -> float:
    """Product of intensifiers/hedges just before a cue (up to two content words back)."""
    kinds = tokens.kinds
    factor = 1.0
    content_seen = 0
    j = first - 1
    while j >= 0 and first - j <= 4:
        kind = kinds[j]
        if kind in (PUNCT, CONJ_PARTICLE):
            break
        found = multipliers.get(j)
        if found is not None:
            factor *= found
        elif kind == CONTENT:
            content_seen += 1
            if content_seen >= 2:
                break
        j -= 1
    return factor


def _negator_ja(tokens: Tokens, last: int, negators: frozenset[str]) -> int:
    """Index of the negator closing a Japanese predicate that ends at `last`, or -1."""
    keys, kinds = tokens.keys, tokens.kinds
    for j in range(last, min(last + 5, len(keys))):
        key = keys[j]
        if key in negators:
            return j
        if key in _ONLY:
            return -1
        kind = kinds[j]
        if kind == CONJ_PARTICLE and key in ("て", "で") and j + 1 < len(keys):
            if keys[j + 1] in _ASPECT:
                continue  # 汚れていない, 混んでいませんでした: て + いる/ある is aspect
            return -1
        if kind in (PUNCT, CONJ_PARTICLE):
            return -1
        if kind == CONTENT and key not in _LIGHT_VERBS:
            return -1
    return -1


def _negator_en(tokens: Tokens, first: int, negators: frozenset[str], contrast: set[str]) -> int:
    keys, kinds = tokens.keys, tokens.kinds
    for j in range(first - 1, max(first - 4, -1), -1):
        if kinds[j] == PUNCT or keys[j] in contrast:
            return -1
        if keys[j] in negators:
            return j
    return -1


def score_text(
    tokens: Tokens,
    matches: list[Match],
    emoji: list[tuple[int, int, Entry]],
    language: str,
    lexicon: Lexicon,
    finals: frozenset[str] = frozenset(),
) -> TextScore:
    """Score every cue of one text and sum them by clause and by topic."""
    contrast = lexicon.contrast(language)
    negators = lexicon.negators[language]
    clause_starts, weights, bangs, contrast_spans = _clauses(tokens, language, contrast)
    multipliers = {m.last - 1: m.entry.multiplier for m in matches if m.entry.multiplier}
    all_matches = matches
    if emoji:
        begins = tokens.begins()
        extra = []
        for begin, end, entry in emoji:
            at = max(bisect_right(begins, begin) - 1, 0)
            extra.append(Match(at, at, begin, end, entry))
        all_matches = sorted([*matches, *extra], key=lambda m: m.begin)
    cues: list[Scored] = []
    negations: list[tuple[int, int]] = []
    request_clauses: set[int] = set()
    japanese = language == "ja"
    kinds = tokens.kinds
    for match in all_matches:
        entry = match.entry
        if (
            entry.request
            and japanese
            and match.last - match.first == 1
            and match.last < len(kinds)
            and kinds[match.last] == CONTENT
        ):
            continue  # 欲しい機能 (the feature one wanted): a modifier, not a request
        clause = bisect_right(clause_starts, match.first) - 1 if len(clause_starts) > 1 else 0
        negated = False
        factor = 1.0
        if match.last > match.first:
            at = (
                _negator_ja(tokens, match.last, negators)
                if japanese
                else _negator_en(tokens, match.first, negators, contrast)
            )
            if at >= 0:
                negated = True
                negations.append(tokens.span(at, at))
            if multipliers:
                factor = _multiplier(tokens, match.first, multipliers)
        score = 0.0
        if entry.polarity is not None:
            score = entry.polarity * factor
            if bangs[clause]:
                score *= EXCLAMATION
            if negated and not entry.request:
                score *= NEGATION_SCALAR
        elif negated and entry.expectation == "short_of":
            score = SHORT_OF * factor
        if entry.request:
            request_clauses.add(clause)
        cues.append(Scored(match, clause, negated, factor, score, True))
    ironic = ironic_cues(tokens, cues, clause_starts, language, finals)
    if not japanese and cues:
        ironic += ironic_cues_en(tokens, cues, clause_starts, ironic)
    for index in ironic:
        cue = cues[index]
        cue.score, cue.ironic, cue.negated = -abs(cue.score), True, True
    clause_scores = [0.0] * len(weights)
    positive = negative = 0.0
    for cue in cues:
        if cue.score > 0 and cue.clause in request_clauses and not cue.match.entry.request:
            cue.counted = False
            continue
        weighted = cue.score * weights[cue.clause]
        clause_scores[cue.clause] += weighted
        if weighted > 0:
            positive += weighted
        else:
            negative -= weighted
    total = sum(clause_scores)
    return TextScore(
        cues=cues,
        weights=weights,
        clause_scores=clause_scores,
        score=squash(total),
        positive=positive,
        negative=negative,
        negations=negations,
        contrasts=contrast_spans,
        topics=_topic_scores(cues),
        clause_starts=clause_starts,
    )


def _topic_scores(cues: list[Scored]) -> dict[str, float]:
    """Credit each polarity cue to the nearest topic mention in its clause."""
    mentions = [cue for cue in cues if cue.match.entry.topics]
    topics: dict[str, float] = {}
    for mention in mentions:
        for topic in mention.match.entry.topics:
            topics.setdefault(topic, 0.0)
    if not mentions:
        return topics
    for cue in cues:
        if cue.score == 0.0 or not cue.counted:
            continue
        own = cue.match.entry.topics
        targets = list(own)
        others = [
            m
            for m in mentions
            if m.clause == cue.clause and m is not cue and not set(m.match.entry.topics) & set(own)
        ]
        if others:
            # The nearest other mention before the cue, else the first after it: in
            # "朝食は美味しかった" and "the room was dirty" the topic comes first.
            before = [m for m in others if m.match.begin <= cue.match.begin]
            targets.extend((before[-1] if before else others[0]).match.entry.topics)
        for topic in targets:
            topics[topic] += cue.score
    return topics
