"""Load the YAML lexicons and compile them into one phrase index per language.

Every cue the analyzer knows (polarity words, shifters, emotions, delight and expectation
cues, topic terms, experience values) is data in `data/*.yaml`, written in natural forms.
Compiling runs each phrase through the same tokenizer as the texts, so a phrase becomes a
tuple of token keys, and all that the files say about one phrase is merged into one
`Entry`. Matching a text is then a dict lookup per token plus a check of the few phrases
that start with that key (longest first). Emoji and kaomoji are matched by one regex on
the cleaned text instead, because tokenizers split them unpredictably.

Workspaces extend the topic taxonomy with the same YAML shape (`extra_topics`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from itertools import compress, repeat
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from kizuna.analytics.text.normalize import clean_text
from kizuna.analytics.text.tokenize import PUNCT, Tokenizer, Tokens
from kizuna.errors import InvalidInput

__all__ = ["EMOTIONS", "EXPERIENCE_VALUES", "Entry", "Lexicon", "Match", "load_yaml", "read_topics"]

EMOTIONS = ("joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust")
EXPERIENCE_VALUES = ("sense", "feel", "think", "act", "relate")
LANGUAGES = ("ja", "en")
_DELIGHT_POLARITY = 0.8


@dataclass(slots=True)
class Entry:
    """Everything the lexicons say about one phrase."""

    phrase: str
    polarity: float | None = None
    request: bool = False
    emotions: tuple[str, ...] = ()
    delight: float = 0.0
    expectation: str | None = None  # "met", "below", "short_of" or "comparative"
    topics: tuple[str, ...] = ()
    experiences: tuple[str, ...] = ()
    multiplier: float | None = None  # intensifier (> 1) or hedge (< 1)
    negator: bool = False
    construction: str | None = None  # set on grammar.py's entries: what was recognised


class Match(NamedTuple):
    """One lexicon phrase found in a text: token span, character span, entry.

    A NamedTuple rather than a frozen dataclass: several are made per text and tuple
    creation is several times cheaper.
    """

    first: int  # token index (for emoji: the token at that character)
    last: int  # token index after the match
    begin: int  # cleaned-text characters
    end: int
    entry: Entry


@dataclass(slots=True)
class _Language:
    entries: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    # first key -> (length, keys as a list, entry), longest first; a list so that a
    # slice of the text's keys compares in one step.
    index: dict[str, list[tuple[int, list[str], Entry]]] = field(default_factory=dict)
    # first key -> the one-key entry (the plural fallback "delays" -> "delay")
    singles: dict[str, Entry] = field(default_factory=dict)
    contrast: set[str] = field(default_factory=set)


def load_yaml(name_or_path: str | Path) -> dict[str, Any]:
    """A bundled data file by name (`"topics.yaml"`) or any YAML file by path."""
    try:
        if isinstance(name_or_path, Path) or "/" in str(name_or_path):
            text = Path(name_or_path).read_text(encoding="utf-8")
        else:
            text = (
                resources.files("kizuna.analytics.text")
                .joinpath("data", name_or_path)
                .read_text(encoding="utf-8")
            )
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise InvalidInput(
            f"Lexicon file {name_or_path} does not exist. Give the path of a YAML file "
            "(a name without a folder means a file bundled with Kizuna).",
            f"辞書ファイル {name_or_path} が見つかりません。YAMLファイルのパスを指定してください"
            "(フォルダを含まない名前は Kizuna 同梱のファイルを指します)。",
            path=str(name_or_path),
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput(
            f"Lexicon file {name_or_path} is not UTF-8 text. Save it as UTF-8 and try again.",
            f"辞書ファイル {name_or_path} がUTF-8のテキストではありません。UTF-8で保存し直してください。",
            path=str(name_or_path),
        ) from None
    # libyaml's loader is ten times faster than the pure-Python one when it is built in.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader either way
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"Lexicon {name_or_path} is not valid YAML ({exc}). Fix the file and try again.",
            f"辞書 {name_or_path} のYAMLの書き方に誤りがあります({exc})。ファイルを直してください。",
            path=str(name_or_path),
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            f"Lexicon {name_or_path} is not a YAML mapping; see data/topics.yaml for the shape.",
            f"辞書 {name_or_path} がYAMLのマッピングではありません。data/topics.yaml の形式に合わせてください。",
        )
    return data


def read_topics(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The topics of a taxonomy (`{topics: {id: spec}}` or `{id: spec}`), checked.

    A spec is a mapping with optional name_ja, name_en, domains and the term lists ja and
    en; a workspace's own file is user input, so a wrong shape is a clear error.
    """
    topics = data.get("topics", data)
    if not isinstance(topics, Mapping):
        raise InvalidInput(
            "Topics must be a mapping of topic id to {name_ja, name_en, ja: [...], en: [...]}.",
            "トピックは「トピックID: {name_ja, name_en, ja: [...], en: [...]}」の形で指定してください。",
        )
    checked: dict[str, dict[str, Any]] = {}
    for topic, spec in topics.items():
        if not isinstance(spec, Mapping):
            raise InvalidInput(
                f"Topic '{topic}' must be a mapping such as {{name_ja: ..., name_en: ..., "
                "ja: [...], en: [...]}; see data/topics.yaml for the shape.",
                f"トピック「{topic}」は {{name_ja: ..., name_en: ..., ja: [...], en: [...]}} の形で"
                "書いてください(data/topics.yaml を参照)。",
                topic=str(topic),
            )
        for key in ("ja", "en", "domains"):
            terms = spec.get(key)
            if terms is not None and (
                not isinstance(terms, list) or not all(isinstance(t, str | int) for t in terms)
            ):
                raise InvalidInput(
                    f"Topic '{topic}': '{key}' must be a list of words, e.g. {key}: [word, word].",
                    f"トピック「{topic}」の「{key}」は語のリストで書いてください"
                    f"(例: {key}: [語, 語])。",
                    topic=str(topic),
                    key=key,
                )
        checked[str(topic)] = dict(spec)
    return checked


class Lexicon:
    """All cues, compiled per language. Build once and share; matching is read-only."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        extra_topics: Mapping[str, Any] | str | Path | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._languages = {language: _Language() for language in LANGUAGES}
        self.conflicts: list[str] = []
        self.topic_names: dict[str, dict[str, str]] = {}
        self.negators: dict[str, frozenset[str]] = {}
        self.emoji: dict[str, Entry] = {}
        self.emoji_polarity: dict[str, float] = {}
        self._load_polarity()
        self._load_shifters()
        self._load_emotions()
        self._load_delight()
        self._load_experience()
        self._load_topics(load_yaml("topics.yaml"))
        if extra_topics is not None:
            extra = extra_topics if isinstance(extra_topics, Mapping) else load_yaml(extra_topics)
            self._load_topics(extra)
        for language in self._languages.values():
            for keys, entry in language.entries.items():
                language.index.setdefault(keys[0], []).append((len(keys), list(keys), entry))
                if len(keys) == 1:
                    language.singles[keys[0]] = entry
            for candidates in language.index.values():
                candidates.sort(key=lambda item: -item[0])
        ordered = sorted(self.emoji, key=len, reverse=True)
        self.emoji_pattern = re.compile("|".join(re.escape(item) for item in ordered))
        self._emoji_start = _start_pattern(ordered)

    # -- compiling ---------------------------------------------------------------------

    def keys_of(self, phrase: str, language: str) -> tuple[str, ...]:
        """The token keys a phrase compiles to (the same path texts take)."""
        cleaned = clean_text(str(phrase)).text
        tokens = self._tokenizer.tokenize(cleaned, language)
        return tuple(
            key
            for key, kind in zip(tokens.keys, tokens.kinds, strict=True)
            if kind != PUNCT or key in ("!", "?")
        )

    def _entry(self, phrase: str, language: str) -> list[Entry]:
        """The entries for a phrase, created on first use; also under its raw form."""
        keys = self.keys_of(phrase, language)
        if not keys:
            return []
        store = self._languages[language].entries
        found = [store.setdefault(keys, Entry(str(phrase)))]
        raw = (str(phrase).lower(),)
        if len(keys) == 1 and raw != keys:
            found.append(store.setdefault(raw, Entry(str(phrase))))
        return found

    def _load_polarity(self) -> None:
        for language in LANGUAGES:
            data = load_yaml(f"polarity_{language}.yaml")
            for bucket, score in data["scores"].items():
                for phrase in data.get(bucket) or []:
                    for entry in self._entry(phrase, language):
                        if entry.polarity is not None and entry.polarity != score:
                            self.conflicts.append(f"{language}:{phrase}")
                        entry.polarity = float(score)

    def _load_shifters(self) -> None:
        data = load_yaml("shifters.yaml")
        for language in LANGUAGES:
            self.negators[language] = frozenset(
                key
                for phrase in data["negators"][language]
                for key in self._single_keys(phrase, language)
            )
            self._languages[language].contrast = {
                key
                for phrase in data["contrast"][language]
                for key in self._single_keys(phrase, language)
            }
            for section in ("intensifiers", "hedges"):
                for factor, phrases in data[section][language].items():
                    for phrase in phrases:
                        for entry in self._entry(phrase, language):
                            entry.multiplier = float(factor)
            for score, phrases in data["requests"][language].items():
                for phrase in phrases:
                    for entry in self._entry(phrase, language):
                        entry.polarity, entry.request = float(score), True

    def _single_keys(self, phrase: str, language: str) -> set[str]:
        # Particles such as のに or ものの are one token in context but may split when
        # tokenised alone, so the raw form is kept as a key too.
        keys = self.keys_of(phrase, language)
        return {*keys[:1], str(phrase).lower()} if len(keys) == 1 else {str(phrase).lower()}

    def _load_emotions(self) -> None:
        data = load_yaml("emotions.yaml")
        self.emoji_polarity = {key: float(value) for key, value in data["polarity"].items()}
        for emotion, cues in data["emotions"].items():
            for language in LANGUAGES:
                for phrase in cues.get(language) or []:
                    for entry in self._entry(phrase, language):
                        if emotion not in entry.emotions:
                            entry.emotions = (*entry.emotions, emotion)
            for symbol in (cues.get("emoji") or []) + (cues.get("kaomoji") or []):
                key = clean_text(str(symbol)).text.strip()
                entry = self.emoji.setdefault(key, Entry(key))
                if emotion not in entry.emotions:
                    entry.emotions = (*entry.emotions, emotion)
        for entry in self.emoji.values():
            scores = [self.emoji_polarity[emotion] for emotion in entry.emotions]
            entry.polarity = sum(scores) / len(scores) or None

    def _load_delight(self) -> None:
        data = load_yaml("delight.yaml")
        for language in LANGUAGES:
            for strength, phrases in data["delight"][language].items():
                for phrase in phrases:
                    for entry in self._entry(phrase, language):
                        entry.delight = max(entry.delight, float(strength))
                        # Exceeded expectations is praise even where no polarity word
                        # is present ("blew me away"); mere surprise is not.
                        if entry.polarity is None and entry.delight >= 1.0:
                            entry.polarity = _DELIGHT_POLARITY
            for gap, cues in data["expectation"].items():
                for phrase in cues[language]:
                    for entry in self._entry(phrase, language):
                        entry.expectation = gap

    def _load_experience(self) -> None:
        data = load_yaml("experience.yaml")
        for value, cues in data["experience_values"].items():
            for language in LANGUAGES:
                for phrase in cues.get(language) or []:
                    for entry in self._entry(phrase, language):
                        if value not in entry.experiences:
                            entry.experiences = (*entry.experiences, value)

    def _load_topics(self, data: Mapping[str, Any]) -> None:
        for topic, spec in read_topics(data).items():
            names = self.topic_names.setdefault(topic, {"ja": topic, "en": topic})
            names["ja"] = str(spec.get("name_ja", names["ja"]))
            names["en"] = str(spec.get("name_en", names["en"]))
            for language in LANGUAGES:
                for phrase in spec.get(language) or []:
                    for entry in self._entry(phrase, language):
                        if topic not in entry.topics:
                            entry.topics = (*entry.topics, topic)

    # -- matching ----------------------------------------------------------------------

    def contrast(self, language: str) -> set[str]:
        return self._languages[language].contrast

    def match(self, tokens: Tokens, language: str) -> list[Match]:
        """Lexicon phrases in a token list, longest match first, left to right."""
        table = self._languages[language]
        index = table.index
        keys = tokens.keys
        # compress/map keep the scan of every token in C; hits are few.
        hits = list(compress(range(len(keys)), map(index.__contains__, keys)))
        plurals: dict[int, Entry] = {}
        if language == "en":
            # A trailing plural "s" is tried for single words ("delays" -> "delay"); the
            # words ending in "s" are picked in C, the few of them checked here.
            singles = table.singles
            for i in compress(range(len(keys)), map(str.endswith, keys, repeat("s"))):
                key = keys[i]
                if len(key) > 3 and key not in index and key[:-1] in singles:
                    plurals[i] = singles[key[:-1]]
            if plurals:
                hits = sorted(hits + list(plurals))
        if not hits:
            return []
        matches: list[Match] = []
        after = 0  # first token not yet consumed by a match
        for i in hits:
            if i < after:
                continue
            plural = plurals.get(i) if plurals else None
            if plural is not None:
                matches.append(Match(i, i + 1, *tokens.span(i, i), plural))
                after = i + 1
                continue
            for size, phrase, entry in index[keys[i]]:
                if size == 1 or keys[i : i + size] == phrase:
                    matches.append(Match(i, i + size, *tokens.span(i, i + size - 1), entry))
                    after = i + size
                    break
        return matches

    def match_emoji(self, text: str) -> list[tuple[int, int, Entry]]:
        """Emoji and kaomoji found in the cleaned text, as character spans.

        The same spans as `emoji_pattern.finditer`, but the alternation of a hundred
        kaomoji is tried only where one can start (English text is full of the "o" and
        "m" that begin orz and m(_ _)m): scanning with it everywhere cost more than the
        rest of an English text's analysis.
        """
        start = self._emoji_start.search(text)
        if start is None:
            return []
        found: list[tuple[int, int, Entry]] = []
        match, search, emoji = self.emoji_pattern.match, self._emoji_start.search, self.emoji
        while start is not None:
            at = start.start()
            item = match(text, at)
            if item is None:
                start = search(text, at + 1)
            else:
                found.append((at, item.end(), emoji[item.group(0)]))
                start = search(text, item.end())
        return found


def _start_pattern(items: list[str]) -> re.Pattern[str]:
    """A cheap regex for where any of `items` may begin (a superset, checked afterwards).

    Symbols are one character class (astral emoji as one range: a class listing them one
    by one is slow in `re`); items that begin with a letter (orz, m(_ _)m) need their first
    three characters, or every word would be a candidate.
    """
    symbols = sorted({item[0] for item in items if not item[0].isalnum()})
    words = sorted({item[:3] for item in items if item[0].isalnum()})
    narrow = "".join(re.escape(char) for char in symbols if ord(char) <= 0xFFFF)
    wide = [char for char in symbols if ord(char) > 0xFFFF]
    if wide:
        narrow += f"{min(wide)}-{max(wide)}"
    parts = [f"[{narrow}]"] if narrow else []
    parts.extend(re.escape(word) for word in words)
    return re.compile("|".join(parts) or "(?!)")
