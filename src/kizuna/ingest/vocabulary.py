"""The words `kizuna import` recognises: header synonyms, channel and kind codes, booleans.

The words themselves live in `vocabulary.yaml` beside this module so they can grow without
code changes; this module loads them once and answers look-ups after the same
normalisation (NFKC, lower case, no spaces, "_", "-", "・" or brackets).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

__all__ = ["TARGETS", "Target", "Vocabulary", "normalize_word", "vocabulary"]

Target = Literal["customers", "interactions", "feedback"]
TARGETS: tuple[Target, ...] = ("customers", "interactions", "feedback")

_DROP = str.maketrans("", "", " \t\u3000_-・.()（）[]【】「」'\"")


def normalize_word(word: str) -> str:
    """The form headers and coded values are compared in: '顧客ＩＤ' and 'Customer ID' agree."""
    if not word.isascii():
        word = unicodedata.normalize("NFKC", word)
    return word.casefold().translate(_DROP)


@dataclass(frozen=True)
class Vocabulary:
    """Look-up tables built from vocabulary.yaml; every key is a normalised word."""

    headers: dict[str, dict[str, str]]  # target -> normalised header -> canonical field
    fields: dict[str, tuple[str, ...]]  # target -> canonical fields in file order
    labels: dict[str, str]  # canonical field -> Japanese label
    channels: dict[str, str]
    kinds: dict[str, str]
    genders: dict[str, str]
    booleans: dict[str, bool]

    def channel_code(self, value: str) -> str | None:
        return self.channels.get(normalize_word(value))

    def label(self, field: str) -> str:
        return self.labels.get(field, field)


def _invert(section: dict[str, list[Any]], name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for code, words in section.items():
        for word in [code, *words]:
            if not isinstance(word, str):
                raise TypeError(
                    f"vocabulary.yaml {name}.{code}: quote {word!r} so it reads as text"
                )
            found.setdefault(normalize_word(word), code)
    return found


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with Kizuna (read once per process)."""
    text = resources.files("kizuna.ingest").joinpath("vocabulary.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    headers: dict[str, dict[str, str]] = {
        t: _invert(data["fields"][t], f"fields.{t}") for t in TARGETS
    }
    fields: dict[str, tuple[str, ...]] = {t: tuple(data["fields"][t]) for t in TARGETS}
    truthy = _invert({"true": data["booleans"]["truthy"]}, "booleans")
    falsy = _invert({"false": data["booleans"]["falsy"]}, "booleans")
    booleans = {w: True for w in truthy} | {w: False for w in falsy}
    return Vocabulary(
        headers=headers,
        fields=fields,
        labels={str(k): str(v) for k, v in data["labels"].items()},
        channels=_invert(data["channels"], "channels"),
        kinds=_invert(data["kinds"], "kinds"),
        genders=_invert(data["genders"], "genders"),
        booleans=booleans,
    )
