"""Problems of a survey definition: each with its place and reason in two languages, and
the reader's helpers that collect them (texts in every language, whole numbers in a range).

`kizuna.surveys.definition` reads a definition with a `Checker`; every problem is kept so
that one `InvalidSurvey` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kizuna.errors import InvalidInput

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "MAX_TEXT", "Checker", "InvalidSurvey", "Problem", "Text"]

LANGUAGES = ("ja", "en")
LANGUAGE_NAMES = {"ja": ("Japanese", "日本語"), "en": ("English", "英語")}
MAX_TEXT = 2000

Text = dict[str, str]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a definition: where, and why (in both languages)."""

    place: str
    en: str
    ja: str

    def to_dict(self, language: str = "en") -> dict[str, str]:
        return {"place": self.place, "reason": self.ja if language == "ja" else self.en}


class InvalidSurvey(InvalidInput):
    """A definition with problems; `details.problems` lists each with its place and reason."""

    code = "invalid_survey"

    def __init__(self, problems: Sequence[Problem]) -> None:
        shown = problems[:5]
        more = len(problems) - len(shown)
        en = "; ".join(f"{p.place}: {p.en}" for p in shown)
        ja = "; ".join(f"{p.place}: {p.ja}" for p in shown)
        super().__init__(
            f"The survey definition has {len(problems)} problem(s): {en}"
            + (f" (and {more} more)" if more else "")
            + ". Fix them and send it again.",
            f"アンケートの定義に {len(problems)} 件の問題があります: {ja}"
            + (f"(ほか {more} 件)" if more else "")
            + "。直してからもう一度送ってください。",
            problems=[{"place": p.place, "reason": p.en, "reason_ja": p.ja} for p in problems],
        )
        self.problems = list(problems)


class Checker:
    """Collects problems while reading a definition."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = LANGUAGES

    def add(self, place: str, en: str, ja: str) -> None:
        self.problems.append(Problem(place, en, ja))

    def text(self, value: Any, place: str, *, required: bool = True) -> Text | None:
        if value is None or value == "":
            if required:
                self.add(place, "text is missing", "文言がありません")
            return None
        if isinstance(value, str):
            if len(self.languages) == 1:
                return {self.languages[0]: value}
            self.add(
                place,
                f"give the text in every language of the survey ({', '.join(self.languages)}), "
                "e.g. {ja: ..., en: ...}",
                f"アンケートのすべての言語({', '.join(self.languages)})で文言を書いてください"
                "(例: {ja: ..., en: ...})",
            )
            return None
        if not isinstance(value, Mapping):
            self.add(
                place,
                "text must be a mapping of language to text",
                "文言は言語ごとに書いてください",
            )
            return None
        text: Text = {}
        for language in self.languages:
            found = value.get(language)
            if not isinstance(found, str) or not found.strip():
                en_name, ja_name = LANGUAGE_NAMES[language]
                self.add(
                    f"{place}.{language}",
                    f"missing translation: no {en_name} text",
                    f"翻訳がありません: {ja_name}の文言がありません",
                )
                continue
            if len(found) > MAX_TEXT:
                self.add(
                    f"{place}.{language}",
                    f"text is longer than {MAX_TEXT} characters",
                    f"文言が {MAX_TEXT} 文字を超えています",
                )
            text[language] = found.strip()
        for extra in sorted(set(map(str, value)) - set(self.languages)):
            self.add(
                f"{place}.{extra}",
                f"'{extra}' is not a language of this survey ({', '.join(self.languages)})",
                f"「{extra}」はこのアンケートの言語({', '.join(self.languages)})ではありません",
            )
        return text if len(text) == len(self.languages) else None

    def integer(self, value: Any, place: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                place,
                f"must be a whole number ({low}-{high})",
                f"{low}〜{high} の整数にしてください",
            )
            return None
        if not low <= value <= high:
            self.add(
                place,
                f"must be between {low} and {high} (got {value})",
                f"{low}〜{high} にしてください(指定 {value})",
            )
            return None
        return value
