"""The words of the voice search: a voice's text and a query cut into the same index terms.

No dictionary is needed, so any Japanese word is found inside a sentence:

- the text is NFKC-normalised (full-width Latin and half-width kana become ordinary) and
  lower-cased;
- a run of Chinese characters, kana or Hangul becomes its overlapping character bigrams,
  as Lucene's CJKAnalyzer does (受付の待ち時間 -> 受付 付の の待 待ち ち時 時間); a run of one
  character is kept whole;
- any other run of letters and digits is one word (Wi-Fi -> wi fi).

A query word becomes the phrase of its terms, so 待ち時間 (待ち ち時 時間, adjacent) finds
受付の待ち時間が長い and 朝食 finds 朝食が冷めていた. A word that holds a lone CJK character
(駅, A社) cannot be a phrase of bigrams: it is matched as a plain substring instead. Pure
text: no database and no web here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_WORD", "SearchQuery", "index_terms", "parse_query"]

_CJK = (
    "\u3005\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
)
_TERMS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
MAX_WORD = 60  # a longer "word" is a token or a URL, not something people search for


def _runs(text: str) -> list[tuple[str, bool]]:
    """(run, is_cjk) in order, after NFKC and lower-casing."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [
        (m.group("cjk"), True) if m.group("cjk") else (m.group("word"), False)
        for m in _TERMS.finditer(folded)
    ]


def _terms_of(runs: list[tuple[str, bool]]) -> list[str]:
    terms: list[str] = []
    for run, cjk in runs:
        if not cjk:
            if len(run) <= MAX_WORD:
                terms.append(run)
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def index_terms(text: str | None) -> list[str]:
    """The terms of a text, in order (a term may repeat)."""
    return _terms_of(_runs(text)) if text else []


@dataclass(frozen=True)
class SearchQuery:
    """A query cut into phrases found through the index and words matched as substrings.

    Every phrase and every substring must be found in a voice (AND), each anywhere."""

    phrases: tuple[tuple[str, ...], ...]
    substrings: tuple[str, ...]
    words: tuple[str, ...]  # every word as typed, for voices not yet in the index

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.substrings


def parse_query(q: str | None) -> SearchQuery:
    """Words split on spaces; each becomes a phrase of index terms or, holding a lone CJK
    character or nothing the index keeps, a substring."""
    phrases: list[tuple[str, ...]] = []
    substrings: list[str] = []
    words = tuple(w for w in (q or "").split() if w)
    for word in words:
        runs = _runs(word)
        terms = _terms_of(runs)
        lone = any(cjk and len(run) == 1 for run, cjk in runs)
        if lone or not terms:
            substrings.append(word)
            continue
        phrase = tuple(terms)
        if phrase not in phrases:
            phrases.append(phrase)
    return SearchQuery(tuple(phrases), tuple(substrings), words)
