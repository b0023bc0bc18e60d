"""Constructions that carry polarity without a polarity word, found on the token keys.

The phrase index (lexicon.py) matches words; customers also praise and complain with
grammar (Japanese review language, cf. the expectation-disconfirmation cues of delight.py):
- absence and inability (ドライヤーがありませんでした, ログインできません, 返事が来ない;
  "no wifi"): absence.py;
- excess: an adjective or verb + すぎる is a complaint (長すぎる, 多すぎる) unless the word
  already has a polarity, which すぎる then strengthens (美味しすぎる, 高すぎる);
- more or less of what customers want small (待ち時間が長い, 広告が少ない);
- a waiting time stressed with も/以上/近く (一時間も待った);
- intention to return (また泊まりたい, 次も必ず行きます, これからも使い続けたい) and to
  recommend (友人にも勧めたい; not the passive 勧められた);
- a mismatch with what was ordered or described (注文と違う色, 説明と違っていた);
- hard and easy to do (聞き取りにくい, 合わせやすい; 疲れにくい is praise), and the
  causative passive "made to" (三回も来店させられた);
- praise of what was before (前の方が良かった) is a complaint about what is now;
- a complaint word that only sets a condition (困った時に相談できる) is dropped;
- a favour done (教えてくれました, 交換してもらえました) is praise; a wish (もう少し安ければ
  文句なし) is a polite complaint, like the requests of shifters.yaml;
- irony (2時間も待たされて本当に素晴らしいサービスですね) is judged after scoring:
  irony.py.

Each construction is a `Match` on a synthetic `Entry` whose `construction` names it, so it
is scored, negated and shown as a cue with character offsets like any lexicon phrase.
Word lists are in data/constructions.yaml. Nothing here touches the database or the web.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress

from kizuna.analytics.text.absence import (
    NO_FAULT,
    construction_entry,
    construction_match,
    find_absence,
    find_absence_en,
    negated,
)
from kizuna.analytics.text.english import find_delight_en
from kizuna.analytics.text.lexicon import Match, load_yaml
from kizuna.analytics.text.tokenize import CONJ_PARTICLE, CONTENT, PUNCT, Tokens

__all__ = ["Grammar"]

EXCESS = construction_entry("excess", -0.5)
MORE_OF_BAD = construction_entry("more_of_unwanted", -0.5)
LESS_OF_BAD = construction_entry("less_of_unwanted", 0.4)
LONG_WAIT = construction_entry("long_wait", -0.5, topics=("wait_time",))
RETURN = construction_entry("return_intent", 0.6, emotions=("anticipation",), experiences=("act",))
RECOMMEND = construction_entry("recommend", 0.6, experiences=("relate",))
MISMATCH = construction_entry("mismatch", -0.6)
HARD = construction_entry("hard_to", -0.4)
EASY = construction_entry("easy_to", 0.4)
MADE_TO = construction_entry("made_to", -0.5)
FAVOUR = construction_entry("favour", 0.4)
WISH = construction_entry("wish", -0.5, request=True)
SOONER = construction_entry("wish_sooner", 0.6)
WORSE_THAN_BEFORE = construction_entry("worse_than_before", -0.6)


class Grammar:
    """The construction finder of one tokenizer's keys (word lists from the YAML file)."""

    def __init__(self, keys_of: Callable[[str, str], tuple[str, ...]]) -> None:
        data = load_yaml("constructions.yaml")["ja"]

        def words(name: str) -> frozenset[str]:
            # Each word as Sudachi normalises it (又 for また) and as written.
            found: set[str] = set()
            for phrase in data[name]:
                keys = keys_of(str(phrase), "ja")
                if len(keys) == 1:
                    found.add(keys[0])
                found.add(str(phrase))
            return frozenset(found)

        self.negators = words("negators")
        self.light = words("light_verbs")
        self.not_absence_after = words("not_absence_after")
        self.praise_when_negated = words("praise_when_negated")
        self.neutral_when_negated = words("neutral_when_negated")
        self.excess = words("excess")
        self.want_small = words("want_small")
        self.more = words("more")
        self.less = words("less")
        self.wait = words("wait")
        self.stress = words("stress")
        self.durations = words("durations")
        self.again = words("again")
        self.elsewhere = words("elsewhere")
        self.return_verbs = words("return_verbs")
        self.recommend = words("recommend")
        self.passive = words("passive")
        self.differ = words("differ")
        self.reference = words("reference")
        self.only = words("only")
        self.happenings = words("happenings")
        self.inability = words("inability")
        self.existence = words("existence")
        self.hard = words("hard")
        self.easy = words("easy")
        self.causative = words("causative")
        self.made_to_fine = words("made_to_fine")
        self.favour = words("favour")
        self.not_favour_after = words("not_favour_after")
        self.wish_adverbs = words("wish_adverbs")
        self.conditionals = words("conditionals")
        self.conditions = words("conditions")
        self.before = words("before")
        # As written: Sudachi reads a lone な as the copula だ, and irony needs the particle.
        self.finals = frozenset(str(word) for word in data["sentence_final"])
        english = load_yaml("constructions.yaml")["en"]
        self.en_negators = frozenset(str(word) for word in english["negators"])
        self.en_praise = frozenset(str(word) for word in english["praise_when_negated"])
        self.en_neutral = frozenset(str(word) for word in english["neutral_when_negated"])
        self.triggers = frozenset(
            self.negators
            | self.excess
            | self.more
            | self.less
            | self.wait
            | self.again
            | self.recommend
            | self.differ
            | self.hard
            | self.easy
            | self.causative
            | self.favour
            | self.conditionals
            | self.conditions
            | {"方"}
            | {"此れ"}  # これから(も)
        )
        self.watch = self.triggers | self.return_verbs

    def find(self, tokens: Tokens, matches: Sequence[Match]) -> tuple[list[Match], set[int]]:
        """Construction matches of a Japanese text, and the indexes of lexicon matches
        they replace (a polarity word whose sense the construction reverses)."""
        keys = tokens.keys
        if self.triggers.isdisjoint(keys):
            return [], set()
        kinds = tokens.kinds
        ends = {m.last - 1: n for n, m in enumerate(matches)}
        starts = {m.first: n for n, m in enumerate(matches)}
        covered = {j for m in matches if m.last - m.first > 1 for j in range(m.first, m.last)}
        found: list[Match] = []
        replaced: set[int] = set()
        size = len(keys)
        # Only the few tokens that can start a construction are visited (picked in C).
        for i in compress(range(size), map(self.watch.__contains__, keys)):
            key = keys[i]
            if key in self.negators and kinds[i] != PUNCT:
                find_absence(self, tokens, i, ends, matches, found, covered, replaced)
            elif key in self.excess and i > 0 and kinds[i - 1] == CONTENT and i not in covered:
                self._excess(tokens, i, ends, matches, found)
            elif key in self.more or key in self.less:
                self._amount(tokens, i, starts, matches, found, replaced)
            elif key in self.wait:
                self._wait(tokens, i, found)
            elif key in self.return_verbs and kinds[i] == CONTENT:
                self._return(tokens, i, found)
            elif key in self.recommend and kinds[i] == CONTENT:
                after = keys[i + 1 : i + 4]
                if (
                    self.passive.isdisjoint(after)
                    and (key != "紹介" or "たい" in after)
                    and not negated(self, tokens, i)
                ):
                    found.append(construction_match(tokens, i, i, RECOMMEND))
            elif key in self.differ:
                self._mismatch(tokens, i, found)
            elif (key in self.hard or key in self.easy) and kinds[i] != CONTENT and i > 0:
                if kinds[i - 1] == CONTENT and i not in covered:
                    self._ease(tokens, i, ends, matches, found, replaced)
            elif key in self.causative and keys[i + 1 : i + 2] in (["られる"], ["れる"]):
                self._made_to(tokens, i, found)
            elif key in self.favour and i > 1 and keys[i - 1] in ("て", "で"):
                self._favour(tokens, i, found)
            elif key in self.conditions and kinds[i] == CONTENT:
                # 困った時に, 故障した場合: the complaint word is a condition
                for back in range(i - 1, max(i - 4, -1), -1):
                    owner = ends.get(back)
                    if owner is not None:
                        polarity = matches[owner].entry.polarity
                        if polarity is not None and polarity < 0:
                            replaced.add(owner)
                        break
                    if keys[back] != "た" and keys[back] not in self.light:
                        break
            elif key == "方" and i > 1 and keys[i - 1] == "の" and keys[i - 2] in self.before:
                # 前の方が良かった: the praise is of what was before
                for later in range(i + 1, min(i + 5, size)):
                    owner = starts.get(later)
                    if owner is not None:
                        polarity = matches[owner].entry.polarity
                        if polarity is not None and polarity > 0:
                            replaced.add(owner)
                            found.append(
                                construction_match(tokens, i - 2, later, WORSE_THAN_BEFORE)
                            )
                        break
                    if kinds[later] == PUNCT:
                        break
            elif key in self.conditionals and kinds[i] == CONJ_PARTICLE:
                self._wish(tokens, i, starts, matches, found, replaced)
        if size and found:
            found.sort(key=lambda m: m.first)
        return found, replaced

    def find_en(self, tokens: Tokens, matches: Sequence[Match]) -> list[Match]:
        """Absence and inability in English ("still can't check in", "no wifi") and
        delight beyond a phrase list ("exceeded all our expectations": english.py)."""
        delight = find_delight_en(tokens, matches)
        if not delight:
            return find_absence_en(self, tokens, matches)
        # "did not exceed my expectations": the negation is the construction's
        return [*find_absence_en(self, tokens, [*matches, *delight]), *delight]

    # -- the constructions ---------------------------------------------------------------

    def _excess(
        self,
        tokens: Tokens,
        at: int,
        ends: dict[int, int],
        matches: Sequence[Match],
        found: list[Match],
    ) -> None:
        owner = ends.get(at - 1)
        polarity = matches[owner].entry.polarity if owner is not None else None
        if polarity:
            # すぎる strengthens a polarity word: half of it again, same sign
            entry = construction_entry("excess", 0.5 * polarity)
            found.append(construction_match(tokens, at, at, entry))
            return
        first = matches[owner].first if owner is not None else at - 1
        found.append(construction_match(tokens, first, at, EXCESS))

    def _amount(
        self,
        tokens: Tokens,
        at: int,
        starts: dict[int, int],
        matches: Sequence[Match],
        found: list[Match],
        replaced: set[int],
    ) -> None:
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        while j >= 0 and at - j <= 4:
            if kinds[j] in (PUNCT, CONJ_PARTICLE):
                return
            if keys[j] in self.want_small:
                owner = starts.get(at)
                if owner is not None:
                    replaced.add(owner)
                entry = MORE_OF_BAD if keys[at] in self.more else LESS_OF_BAD
                found.append(construction_match(tokens, j, at, entry))
                return
            j -= 1

    def _wait(self, tokens: Tokens, at: int, found: list[Match]) -> None:
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        stressed = False
        while j >= 0 and at - j <= 5:
            key, kind = keys[j], kinds[j]
            if kind in (PUNCT, CONJ_PARTICLE):
                return
            if key in self.stress:
                stressed = True
            elif stressed and key in self.durations:
                first = j - 1 if j > 0 and keys[j - 1].isdigit() else j
                found.append(construction_match(tokens, first, at, LONG_WAIT))
                return
            j -= 1

    def _return(self, tokens: Tokens, at: int, found: list[Match]) -> None:
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        while j >= 0 and at - j <= 6:
            key, kind = keys[j], kinds[j]
            if kind == PUNCT and key != "、":
                return
            if kind == CONJ_PARTICLE and key not in ("て", "で"):
                return
            if key in self.elsewhere:
                return  # 次は別の店に行きます
            if key in self.again or (key == "から" and j > 0 and keys[j - 1] == "此れ"):
                if keys[j + 1] == "の":
                    return  # 次回の買い物から使えます: a date, not "again"
                after = keys[at + 1 : at + 4]
                if (
                    negated(self, tokens, at)
                    or not self.passive.isdisjoint(after)
                    or "下さる" in after
                ):
                    return  # また来てください: the staff's words
                found.append(construction_match(tokens, j - (key == "から"), at, RETURN))
                return
            j -= 1

    def _mismatch(self, tokens: Tokens, at: int, found: list[Match]) -> None:
        """X と違う / X と Y が違う, where X is what was ordered, described or shown."""
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        seen_to = False
        while j >= 0 and at - j <= 12:
            if kinds[j] == PUNCT or (kinds[j] == CONJ_PARTICLE and keys[j] not in ("て", "で")):
                return
            if keys[j] == "と":
                seen_to = True
            elif seen_to and keys[j] in self.reference:
                found.append(construction_match(tokens, j, at, MISMATCH))
                return
            j -= 1

    def _ease(
        self,
        tokens: Tokens,
        at: int,
        ends: dict[int, int],
        matches: Sequence[Match],
        found: list[Match],
        replaced: set[int],
    ) -> None:
        owner = ends.get(at - 1)
        polarity = matches[owner].entry.polarity if owner is not None else None
        hard = tokens.keys[at] in self.hard
        if not polarity:
            found.append(construction_match(tokens, at - 1, at, HARD if hard else EASY))
        elif hard and polarity < 0 and owner is not None:
            # 疲れにくい, 壊れにくい: hard to go wrong is praise
            replaced.add(owner)
            found.append(construction_match(tokens, matches[owner].first, at, NO_FAULT))

    def _favour(self, tokens: Tokens, at: int, found: list[Match]) -> None:
        """教えてくれました, 交換してもらえました: a favour done for the customer."""
        keys = tokens.keys
        after = keys[at + 1 : at + 4]
        if (
            negated(self, tokens, at)
            or not self.not_favour_after.isdisjoint(after)
            or tokens.surface(at) in ("ください", "下さい", "ちょうだい")
            or not ("た" in after or "ます" in after)
        ):
            return
        j = at - 2  # the verb (or verbal noun + する) before て
        if j > 0 and keys[j] in self.light:
            j -= 1
        if tokens.kinds[j] == CONTENT:
            found.append(construction_match(tokens, j, at, FAVOUR))

    def _wish(
        self,
        tokens: Tokens,
        at: int,
        starts: dict[int, int],
        matches: Sequence[Match],
        found: list[Match],
        replaced: set[int],
    ) -> None:
        """もう少し安ければ: a wish for what was not so. But もっと早く買えばよかった
        regrets not buying sooner: praise of what was bought."""
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        sooner = False
        while j >= 0 and at - j <= 6:
            if kinds[j] == PUNCT or kinds[j] == CONJ_PARTICLE:
                return
            if keys[j] in ("早い", "早く"):
                sooner = True
            if keys[j] in self.wish_adverbs:
                if not sooner:
                    found.append(construction_match(tokens, j, at, WISH))
                    return
                owner = starts.get(at)  # ば良かった, a request phrase, is the praise here
                if owner is not None and matches[owner].entry.request:
                    replaced.add(owner)
                    found.append(construction_match(tokens, j, matches[owner].last - 1, SOONER))
                return
            j -= 1

    def _made_to(self, tokens: Tokens, at: int, found: list[Match]) -> None:
        keys, kinds = tokens.keys, tokens.kinds
        j = at - 1
        while j >= 0 and kinds[j] == CONTENT and keys[j] in self.light:
            j -= 1  # 来店(さ)せられる: the verb before the light する
        if j < 0 or kinds[j] != CONTENT or keys[j] in self.made_to_fine:
            return
        found.append(construction_match(tokens, j, at + 1, MADE_TO))
