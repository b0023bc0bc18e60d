"""Absence and inability: a negated predicate that is a complaint, or praise, by itself.

Customers complain by saying what was missing or did not work (ドライヤーがありません,
ログインできない, 電源が入らない, 返事が来ない; "no wifi", "couldn't check in"), with no
polarity word to find. A negated predicate is a complaint when it says something was
missing (ない, ありません), could not be done or was refused (a potential form, できない,
くれない, もらえない, passive), or failed to happen (届かない: data/constructions.yaml's
happenings); the customer's own choices (朝食は付けませんでした) and adjectives
(大きくない) are not. Negated faults are praise and stay the lexicon's (問題ない, 不満は
ない); some verbs are praise negated (飽きない, 迷わず, 欠かせない) and some say nothing
(変わらない, 必要ない). Negation as "without" or a condition (付けずに, 読まなくても,
なければ) and 〜しか〜ない ("only") are not absence.

Functions of `grammar.Grammar`, which holds the word lists; no database, no web.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kizuna.analytics.text.lexicon import Entry, Match
from kizuna.analytics.text.tokenize import CONJ_PARTICLE, CONTENT, PUNCT, Tokens

if TYPE_CHECKING:
    from kizuna.analytics.text.grammar import Grammar

__all__ = [
    "ABSENCE",
    "NO_FAULT",
    "construction_entry",
    "construction_match",
    "failed",
    "find_absence",
    "find_absence_en",
    "negated",
]

_E_ROW = frozenset("えけげせぜてでねへべぺめれエケゲセゼテデネヘベペメレ")


def construction_entry(name: str, polarity: float, **extra: Any) -> Entry:
    """The entry of a construction: a polarity, and its name shown as the cue's label."""
    return Entry(f"<{name}>", polarity=polarity, construction=name, **extra)


def construction_match(tokens: Tokens, first: int, last: int, entry: Entry) -> Match:
    """A construction found over tokens first..last (inclusive)."""
    begin, end = tokens.span(first, last)
    return Match(first, last + 1, begin, end, entry)


ABSENCE = construction_entry("absence", -0.5)
NO_FAULT = construction_entry("no_fault", 0.4)


def negated(g: Grammar, tokens: Tokens, at: int) -> bool:
    keys, kinds = tokens.keys, tokens.kinds
    for j in range(at + 1, min(at + 5, len(keys))):
        if keys[j] in g.negators:
            return True
        if kinds[j] in (PUNCT, CONJ_PARTICLE) or (kinds[j] == CONTENT and keys[j] not in g.light):
            return False
    return False


def find_absence(
    g: Grammar,
    tokens: Tokens,
    at: int,
    ends: dict[int, int],
    matches: Sequence[Match],
    found: list[Match],
    covered: set[int],
    replaced: set[int],
) -> None:
    keys, kinds = tokens.keys, tokens.kinds
    if at in covered:
        return  # inside a lexicon phrase (繋がらない, 申し分ない)
    praise = without = False
    # "without" and conditions: 付けずに, 読まなくても, なければ, ないと, ないか; and
    # なく or ず modifying the next word (気兼ねなく泊まれる): not a predicate. (ない
    # before a noun is: ログインできない日が続く.)
    for j in range(at + 1, min(at + 4, len(keys))):
        key, kind = keys[j], kinds[j]
        if key in g.not_absence_after:
            if key == "と" and j + 1 < len(keys) and keys[j + 1] in ("思う", "感じる"):
                break
            if "済む" in keys[j + 1 : j + 3]:
                praise = True  # 待たずに済んだ, 並ばなくて済む
                break
            without = True
            break
        if kind == CONTENT:
            if j == at + 1 and key not in g.light and tokens.surface(at)[-1:] in ("く", "ず", "し"):
                without = True  # 気兼ねなく泊まれる, 汁なし麺
            break
        if kind == PUNCT:
            break
    head = -1
    light = -1
    helpers: list[str] = [keys[at]]
    j = at - 1
    while j >= 0 and at - j <= 6:
        key, kind = keys[j], kinds[j]
        if kind == CONJ_PARTICLE and key in ("て", "で") and head < 0 and j > 0:
            j -= 1  # 届いていない, 教えてくれない: the verb before て decides
            continue
        if kind in (PUNCT, CONJ_PARTICLE):
            break
        helpers.append(key)
        if key in g.only:
            return  # 〜しか〜ない: "only", not absence
        owner = ends.get(j)
        if owner is not None and j != at - 1:
            entry = matches[owner].entry
            if entry.polarity is not None or entry.expectation:
                return  # 問題はない, 評判ほどではない: the lexicon's negation decides
        if kind == CONTENT:
            if key in g.light:
                light = j
            elif light >= 0 and (
                (owner is not None and matches[owner].entry.multiplier)
                or tokens.pos(j)[:1] == ("副詞",)
            ):
                break  # なかなかできない: the light verb is the predicate
            else:
                head = j
                break
        j -= 1
    if head < 0 and light < 0:
        return
    target = head if head >= 0 else light
    owner = ends.get(target)
    if owner is not None and matches[owner].entry.polarity is not None:
        return  # 問題ない, 美味しくない: the lexicon's negation decides
    head_key = keys[target]
    if head_key in g.neutral_when_negated:
        return
    if without and head_key not in g.praise_when_negated:
        return  # 付けずに, 読まなくても: "without", not absence; 迷わずに is praise
    praised = praise or head_key in g.praise_when_negated
    if not praised and not failed(g, tokens, target, helpers):
        return  # 朝食は付けませんでした: the customer's choice, not a failure
    entry = NO_FAULT if praised else ABSENCE
    first = target if owner is None else matches[owner].first
    if not praised:
        # うまく開かない, きちんと届かない: the praise word says how it failed
        for back in (first - 1, first - 2):
            manner = ends.get(back)
            if manner is not None:
                polarity = matches[manner].entry.polarity
                if polarity is not None and polarity > 0:
                    replaced.add(manner)
                break
            if back < 0 or keys[back] != "に":
                break
    found.append(construction_match(tokens, first, at, entry))


def failed(g: Grammar, tokens: Tokens, head: int, helpers: list[str]) -> bool:
    """Whether a negated predicate says something was missing or failed: existence
    (ドライヤーがない), inability or refusal (できない, くれない, 使えない), or a
    happening that did not happen (届かない); not an adjective (大きくない) nor the
    customer's own choice (使いませんでした)."""
    pos = tokens.pos(head)
    major = pos[0] if pos else ""
    if major in ("形容詞", "形状詞", "副詞"):
        return False
    if not g.existence.isdisjoint(helpers) or not g.inability.isdisjoint(helpers):
        return True
    key = tokens.keys[head]
    if key in g.happenings:
        return True
    if major == "動詞" and len(pos) > 4 and pos[4].startswith("下一段"):
        # A potential form (使え, 入れ, 行け) is 下一段 while its lemma is not: the
        # lemma does not end in e-row kana + る as true 下一段 verbs (付ける) do.
        return not (key.endswith("る") and len(key) > 1 and key[-2] in _E_ROW)
    return False


def find_absence_en(g: Grammar, tokens: Tokens, matches: Sequence[Match]) -> list[Match]:
    """Absence and inability in English: "still can't check in", "no wifi"."""
    keys = tokens.keys
    if g.en_negators.isdisjoint(keys):
        return []
    kinds = tokens.kinds
    starts = {m.first: m for m in matches}
    # A negator inside a lexicon phrase ("not bad", "no complaints") is the phrase's.
    covered = {j for m in matches if m.last - m.first > 1 for j in range(m.first, m.last)}
    found: list[Match] = []
    for i, key in enumerate(keys):
        if key not in g.en_negators or i in covered:
            continue
        for j in range(i + 1, min(i + 3, len(keys))):
            word, kind = keys[j], kinds[j]
            if kind == PUNCT:
                break
            owner = starts.get(j)
            if owner is not None and owner.entry.polarity is not None:
                break  # "not good": the lexicon's negation decides
            if kind != CONTENT or word in g.en_neutral:
                if word in g.en_neutral:
                    break
                continue
            entry = NO_FAULT if word in g.en_praise else ABSENCE
            found.append(construction_match(tokens, i, j, entry))
            break
    return found
