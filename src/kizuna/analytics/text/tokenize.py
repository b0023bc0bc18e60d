"""Language detection by script and tokenisation into lexicon keys with character offsets.

Japanese goes through one SudachiPy tokenizer (SplitMode.C, reused: building one costs
about 100 ms); each morpheme becomes a `Token` whose `key` is Sudachi's normalized form
(迚も -> とても's entry, 美味しかっ -> 美味しい), so a lexicon written in natural forms
matches every inflection. English is tokenised with one regex into lower-cased words.
Lexicon phrases are compiled through the very same functions, so keys always agree.

Tokens carry a small `kind` code instead of the full part of speech, because the
analyzer only needs to know what is a function word (skipped when looking for negation),
a conjunctive particle (が, けど: contrast) or punctuation (clause ends).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import repeat
from typing import Any

__all__ = [
    "CONJ_PARTICLE",
    "CONTENT",
    "FUNCTION",
    "PUNCT",
    "Tokenizer",
    "Tokens",
    "detect_language",
]

CONTENT = 0
FUNCTION = 1  # particles, auxiliaries, suffixes: skipped when scanning for shifters
CONJ_PARTICLE = 2  # 接続助詞: が, けど, のに, て ...
PUNCT = 3  # sentence or clause punctuation

_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\uff66-\uff9d]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_LATIN = re.compile(r"[A-Za-z]")
_ASCII_UPPER = re.compile(r"[A-Z]")
_LATIN_ACCENT = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_LATIN_WORD = re.compile(r"[a-z']+")
_OTHER_SCRIPT = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0e7f\u1100-\u11ff\uac00-\ud7af]"
)
_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_EN_PUNCT = frozenset(".!?;,\n")
_SPAN = re.Match.span
# Sudachi's parts of speech by id (one table per process: every tokenizer loads the same
# system dictionary), filled by the first tokenizer that needs it.
_POS_TABLE: list[tuple[str, ...]] = []


class Tokens:
    """Tokens of one text as parallel sequences: `keys` (lexicon keys) and `kinds`.

    `key` is Sudachi's normalized form (or the lower-cased English word); `kinds` holds
    the small kind codes in a bytearray, which the cyclic garbage collector never has to
    track (a list would be one more container per text for it to scan). Character
    offsets into the cleaned text are fetched lazily with `begin(i)` / `end(i)`: the
    analyzer needs them only for the few tokens that become cues, and skipping them for
    the rest is a large share of the per-text cost. Japanese offsets come from Sudachi's
    morphemes; English ones from the tokenizer's regex, run again over the lower-cased
    text (`source`) the first time one is asked for.
    """

    __slots__ = ("_begins", "_morphemes", "_source", "_spans", "keys", "kinds")

    def __init__(
        self,
        keys: list[str],
        kinds: bytearray,
        morphemes: Any = None,
        source: str = "",
    ) -> None:
        self.keys = keys
        self.kinds = kinds
        self._morphemes = morphemes
        self._source = source
        self._begins: list[int] | None = None
        self._spans: list[tuple[int, int]] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def begin(self, i: int) -> int:
        if self._morphemes is not None:
            return self._morphemes[i].begin()  # type: ignore[no-any-return]
        return self._english_spans()[i][0]

    def end(self, i: int) -> int:
        if self._morphemes is not None:
            return self._morphemes[i].end()  # type: ignore[no-any-return]
        return self._english_spans()[i][1]

    def surface(self, i: int) -> str:
        """Token i as written (Japanese: Sudachi's surface; English: the lower-cased word)."""
        if self._morphemes is not None:
            return self._morphemes[i].surface()  # type: ignore[no-any-return]
        return self.keys[i]

    def pos(self, i: int) -> tuple[str, ...]:
        """Sudachi's part of speech of token i (Japanese only; () for English)."""
        if self._morphemes is not None and _POS_TABLE:
            pos_id: int = self._morphemes[i].part_of_speech_id()
            return _POS_TABLE[pos_id]
        return ()

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span from the start of token `first` to the end of token `last`."""
        morphemes = self._morphemes
        if morphemes is not None:
            return morphemes[first].begin(), morphemes[last].end()
        spans = self._english_spans()
        return spans[first][0], spans[last][1]

    def begins(self) -> list[int]:
        """Every token's start (computed once, only when needed: emoji placement)."""
        if self._begins is None:
            if self._morphemes is not None:
                self._begins = [m.begin() for m in self._morphemes]
            else:
                self._begins = [begin for begin, _ in self._english_spans()]
        return self._begins

    def _english_spans(self) -> list[tuple[int, int]]:
        if self._spans is None:
            # The same scan as `Tokenizer.tokenize_en`, so token i has span i.
            self._spans = list(map(_SPAN, _EN_WORD.finditer(self._source)))
        return self._spans


def detect_language(text: str) -> str:
    """'ja', 'en' or 'other' by script: kana means Japanese; Latin words need English ones.

    A text of kanji only counts as Japanese unless it holds characters typical of
    Chinese only; Latin text counts as English unless it has accented letters or, from
    four words on, almost no common English words (so French or Indonesian come out as
    'other').
    """
    if _KANA.search(text):
        return "ja"
    if _OTHER_SCRIPT.search(text):
        return "other"
    if _HAN.search(text):
        return "other" if _word_lists()[2].search(text) else "ja"
    if not _LATIN.search(text):
        return "other"
    if len(_LATIN_ACCENT.findall(text)) >= 2:
        return "other"  # é, ñ, ü, ß ...: a European language other than English (one
        # accent is allowed: "café")
    words = _LATIN_WORD.findall(text.lower())
    if len(words) < 4:
        return "en"
    hints = _word_lists()[1]
    hits = sum(map(hints.__contains__, words))
    return "en" if hits / len(words) >= 0.08 else "other"


@cache
def _word_lists() -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    """English function words, English hint words and the Chinese-only characters."""
    from kizuna.analytics.text.lexicon import load_yaml

    data = load_yaml("language.yaml")
    function = frozenset(data["english"]["function_words"])
    hints = function | frozenset(data["english"]["common_words"])
    return function, hints, re.compile("[" + data["chinese_only"] + "]")


@cache
def english_stop_words() -> frozenset[str]:
    """Words topic discovery never proposes (data/language.yaml)."""
    from kizuna.analytics.text.lexicon import load_yaml

    return frozenset(load_yaml("language.yaml")["english"]["stop_words"])


class Tokenizer:
    """Turns cleaned text into `Token`s; one instance per thread (Sudachi's rule)."""

    def __init__(self) -> None:
        self._sudachi: Any = None
        self._kinds: list[int] = []
        self._dictionary: Any = None

    def _ensure_sudachi(self) -> Any:
        if self._sudachi is None:
            from sudachipy import Dictionary, SplitMode

            self._dictionary = Dictionary()
            self._sudachi = self._dictionary.tokenizer(
                mode=SplitMode.C, fields={"pos", "normalized_form"}
            )
        return self._sudachi

    def _ensure_kinds(self) -> list[int]:
        if not self._kinds:
            dictionary = self._dictionary
            pos_id = 0
            table = []
            while (pos := dictionary.pos_of(pos_id)) is not None:
                self._kinds.append(_kind_of(pos[0], pos[1]))
                table.append(tuple(pos))
                pos_id += 1
            if not _POS_TABLE:
                _POS_TABLE.extend(table)
        return self._kinds

    def tagged_ja(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """(normalized form, part of speech) of each Japanese morpheme."""
        sudachi = self._ensure_sudachi()
        return [(m.normalized_form(), tuple(m.part_of_speech())) for m in sudachi.tokenize(text)]

    def tokenize(self, text: str, language: str) -> Tokens:
        """Tokens of a cleaned text in the given language ('ja' or 'en')."""
        if language == "ja":
            return self.tokenize_ja(text)
        return self.tokenize_en(text)

    def tokenize_ja(self, text: str) -> Tokens:
        return self.tokens_ja(text, self._ensure_sudachi().tokenize(text))

    def split_ja(self, texts: list[str]) -> list[Any]:
        """Sudachi's morphemes of each text, in one tight loop (see `tokens_ja`)."""
        tokenize = self._ensure_sudachi().tokenize
        return [tokenize(text) for text in texts]

    def tokens_ja(self, text: str, morphemes: Any) -> Tokens:
        """`Tokens` of a Japanese text from Sudachi's morphemes of it."""
        kinds = self._kinds or self._ensure_kinds()
        # One loop with two appends is the fastest shape measured here (each iteration
        # creates the Morpheme object once).
        keys: list[str] = []
        kind_list = bytearray()
        add_key, add_kind = keys.append, kind_list.append
        for morpheme in morphemes:
            add_key(morpheme.normalized_form())
            add_kind(kinds[morpheme.part_of_speech_id()])
        if _ASCII_UPPER.search(text):
            keys = [key.lower() if key.isascii() else key for key in keys]
        return Tokens(keys, kind_list, morphemes)

    @staticmethod
    def tokenize_en(text: str) -> Tokens:
        lowered = text.lower().replace("\u2019", "'")
        keys: list[str] = _EN_WORD.findall(lowered)
        # Each word's kind by one dict lookup, in C: punctuation, function word or content.
        kinds = bytearray(map(_english_kinds().get, keys, repeat(CONTENT, len(keys))))
        return Tokens(keys, kinds, None, lowered)


@cache
def _english_kinds() -> dict[str, int]:
    """Kind code of the English words that are not content words."""
    kinds = dict.fromkeys(_word_lists()[0], FUNCTION)
    kinds.update(dict.fromkeys(_EN_PUNCT, PUNCT))
    return kinds


def _kind_of(major: str, minor: str) -> int:
    if major == "助詞" and minor == "接続助詞":
        return CONJ_PARTICLE
    if major in ("助詞", "助動詞", "接尾辞"):
        return FUNCTION
    if major == "補助記号" and minor in ("句点", "読点"):
        return PUNCT
    if major == "空白":
        return PUNCT
    if major == "補助記号":
        return FUNCTION
    return CONTENT
