"""Clean raw customer text before analysis, keeping a map back to the original characters.

Feedback arrives as HTML from web forms, with control characters from broken exports,
full-width letters, half-width katakana and elongations (すごーーい, !!!!, wwww). The
analyzer works on a cleaned, NFKC-normalised copy, but every cue it reports must point at
the ORIGINAL text so a screen can highlight it. Each cleaning step is therefore a regex
substitution that also rewrites two arrays, `starts[i]` and `ends[i]`: the span of the
original text that produced cleaned character `i`. Most texts need no cleaning at all and
take a fast path with no arrays (identity map).

This module knows nothing of languages, lexicons or the database.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["MAX_CHARS", "CleanText", "clean_text"]

#: Analyse at most this many cleaned characters of one text; longer texts are flagged
#: `truncated`. 5,000 characters is about ten screens of a review: longer documents are
#: not customer comments and should be split by the caller.
MAX_CHARS = 5000

# Raw input is cut before cleaning so a 100 MB paste cannot stall the worker; HTML may be
# mostly markup, hence the margin.
_RAW_FACTOR = 8

_HTML_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_HTML_DROP = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->")
_HTML_BREAK = re.compile(r"(?i)<(?:br|/?p|/?div|/?li|/?tr|/?h[1-6])\b[^>]*>")
_HTML_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
# C0/C1 controls (tab and newline are kept), replacement char, surrogates, private use,
# zero-width marks and the BOM: binary junk and invisible noise.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200e\u200f\u2060\ufeff]+")
# A base character followed by a combining (semi-)voiced mark or accent: normalised as a
# pair, otherwise NFKC of the lone mark would leave it uncomposed.
_COMBINING = re.compile(r".[\u0300-\u036f\u3099\u309a\uff9e\uff9f]+", re.S)
# Characters that are certainly NFKC-stable (ASCII, kana, common kanji, 、。ー); anything
# else is normalised one character at a time.
_UNSTABLE = re.compile(
    r"[^\t\n\r\x20-\x7e\u3001\u3002\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff]"
)
# Elongations: long-vowel marks and tildes collapse to one, runs of !/? to one, laughter
# "wwww" to "ww", any other character repeated 3+ times to two.
_LONG_MARKS = re.compile(r"([ー〜~－-])\1+")
_BANGS = re.compile(r"([!?])[!?]+")
_LAUGH = re.compile(r"(?<![a-zA-Z])[wW]{2,}(?![a-zA-Z])")
_REPEATS = re.compile(r"([^\d\s.])\1{2,}")

# What the junk and elongation steps look for, checked before running them: a junk or
# invisible character, a pair that starts an elongation (the same long mark twice, a run
# of ! and ?, "ww") or a character repeated three times. When none is there, none of the
# six steps would change the text, so all six are skipped: most texts, and nearly every
# English one, which the older hint (any doubled letter, any "w") sent through all six.
# Literal pairs as one alternation are the fastest form measured here (a class-based
# alternation with a back-reference was three times slower).
_ELONGATION_HINT = re.compile(r"!!|!\?|\?!|\?\?|ww|wW|Ww|WW|ーー|〜〜|~~|－－|--")
_JUNK_OR_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff"
    r"\u200b\u200c\u200e\u200f\u2060\ufeff]"
)
# The junk, invisible and combining-mark steps before NFKC, in one search.
_PRE_NFKC = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff"
    r"\u200b\u200c\u200e\u200f\u2060\ufeff\u0300-\u036f\u3099\u309a\uff9e\uff9f]"
)

_nfkc_cache: dict[str, str] = {}
# Unstable characters whose NFKC is one character, and that character.
_one_to_one: dict[str, str] = {}


class CleanText(NamedTuple):
    """A cleaned text and where each of its characters came from in the original.

    A NamedTuple (immutable, and several times cheaper to create than a frozen
    dataclass: one is made per text).
    """

    text: str
    starts: list[int] | None  # None: identity map (nothing was rewritten)
    ends: list[int] | None
    truncated: bool

    def span(self, begin: int, end: int) -> tuple[int, int]:
        """Original-text span of cleaned characters [begin, end)."""
        if self.starts is None or self.ends is None:
            return begin, end
        if end <= begin:
            at = (
                self.starts[begin]
                if begin < len(self.starts)
                else (self.ends[-1] if self.ends else 0)
            )
            return at, at
        return self.starts[begin], self.ends[end - 1]


Repl = Callable[[re.Match[str]], str]


def _sub_mapped(
    pattern: re.Pattern[str],
    repl: Repl,
    text: str,
    starts: list[int] | None,
    ends: list[int] | None,
) -> tuple[str, list[int] | None, list[int] | None]:
    """`pattern.sub(repl, text)` that also rewrites the offset map.

    Every character of a replacement maps to the whole original span of what it replaced.
    """
    first = pattern.search(text)
    if first is None:
        return text, starts, ends
    if starts is None or ends is None:
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for match in pattern.finditer(text, first.start()):
        begin, end = match.span()
        if begin > pos:
            out.append(text[pos:begin])
            new_starts.extend(starts[pos:begin])
            new_ends.extend(ends[pos:begin])
        piece = repl(match)
        if piece and end > begin:
            out.append(piece)
            new_starts.extend([starts[begin]] * len(piece))
            new_ends.extend([ends[end - 1]] * len(piece))
        pos = end
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def _nfkc(match: re.Match[str]) -> str:
    chunk = match.group(0)
    cached = _nfkc_cache.get(chunk)
    if cached is None:
        cached = unicodedata.normalize("NFKC", chunk)
        if len(_nfkc_cache) < 50_000:
            _nfkc_cache[chunk] = cached
    return cached


def _normalize_chars(
    text: str, starts: list[int] | None, ends: list[int] | None
) -> tuple[str, list[int] | None, list[int] | None]:
    """NFKC of each unstable character, keeping the offset map.

    Nearly always each such character becomes exactly one (full-width letters and
    digits, half-width katakana without marks), so the map does not change and a few
    `str.replace` calls do the work; only an expansion (㍿ -> 株式会社) needs
    `_sub_mapped`.
    """
    found = _UNSTABLE.findall(text)
    if not found:
        return text, starts, ends
    table = _one_to_one
    for char in set(found):
        normal = table.get(char)
        if normal is None:
            normal = unicodedata.normalize("NFKC", char)
            if len(normal) != 1 or len(table) >= 50_000:
                return _sub_mapped(_UNSTABLE, _nfkc, text, starts, ends)
            table[char] = normal
        if normal != char:
            text = text.replace(char, normal)
    return text, starts, ends


def _html_break(_: re.Match[str]) -> str:
    return "\n"


def _drop(_: re.Match[str]) -> str:
    return ""


def _space(_: re.Match[str]) -> str:
    return " "


def _entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _first_group(match: re.Match[str]) -> str:
    return match.group(1)


def _laugh(_: re.Match[str]) -> str:
    return "ww"


def _two(match: re.Match[str]) -> str:
    return match.group(1) * 2


_HTML_STEPS: tuple[tuple[re.Pattern[str], Repl], ...] = (
    (_HTML_DROP, _drop),
    (_HTML_BREAK, _html_break),
    (_HTML_TAG, _drop),
    (_HTML_ENTITY, _entity),
)
# Junk and elongation steps, in order (after NFKC); `_ELONGATION_HINT` and friends say
# when they can be skipped.
_SQUEEZE_STEPS: tuple[tuple[re.Pattern[str], Repl], ...] = (
    (_JUNK, _space),
    (_INVISIBLE, _drop),
    (_LONG_MARKS, _first_group),
    (_BANGS, _first_group),
    (_LAUGH, _laugh),
    (_REPEATS, _two),
)


def clean_text(raw: object, max_chars: int = MAX_CHARS) -> CleanText:
    """Clean one raw text: strip HTML and junk, NFKC, squeeze elongations, truncate.

    Anything that is not a string (None, NaN, bytes) counts as empty text; bytes are
    decoded as UTF-8 with invalid sequences dropped.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="ignore")
    if not isinstance(raw, str):
        return CleanText("", None, None, False)
    text = raw
    truncated = False
    raw_limit = max_chars * _RAW_FACTOR
    if len(text) > raw_limit:
        text, truncated = text[:raw_limit], True
    starts: list[int] | None = None
    ends: list[int] | None = None
    if _HTML_HINT.search(text):
        for pattern, repl in _HTML_STEPS:
            text, starts, ends = _sub_mapped(pattern, repl, text, starts, ends)
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        if _PRE_NFKC.search(text):
            text, starts, ends = _sub_mapped(_JUNK, _space, text, starts, ends)
            text, starts, ends = _sub_mapped(_INVISIBLE, _drop, text, starts, ends)
            text, starts, ends = _sub_mapped(_COMBINING, _nfkc, text, starts, ends)
        text, starts, ends = _normalize_chars(text, starts, ends)
    if _ELONGATION_HINT.search(text) or _JUNK_OR_INVISIBLE.search(text) or _REPEATS.search(text):
        for pattern, repl in _SQUEEZE_STEPS:
            text, starts, ends = _sub_mapped(pattern, repl, text, starts, ends)
    if len(text) > max_chars:
        text, truncated = text[:max_chars], True
        if starts is not None and ends is not None:
            starts, ends = starts[:max_chars], ends[:max_chars]
    return CleanText(text, starts, ends, truncated)
