"""Every stored code, named in Japanese and English: `label("channel", "call_center", "ja")`.

Codes (channels, lifecycle stages, roles, job states, sentiments, ...) are what Kizuna
stores; people never see them. `vocabulary.yaml` beside this module holds one section per
kind of code with both languages; a code `family:rest` whose family is labelled is named
after it, the rest kept as written ("external:pos" -> "外部ID (pos)"). Topic names live with
the text engine's taxonomy and are read from there, so a topic is named in one place.

A code with no label shows a readable fallback in pages, and is remembered in
`missing_labels()` so a test rendering every page in both languages can fail on it.
Pages, e-mails and the CLI all read labels here; nothing in this module knows the web.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "clear_missing",
    "codes",
    "kinds",
    "label",
    "labels_of",
    "missing_labels",
]

Names = dict[str, str]  # language -> label
_missing: set[tuple[str, str]] = set()


def _read_yaml(package: str, name: str) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(resources.files(package).joinpath(name).read_text("utf-8"))
    return data if isinstance(data, dict) else {}


def _topics() -> dict[str, Names]:
    """Topic code -> names, from the built-in taxonomy (the text engine's topics.yaml)."""
    taxonomy = _read_yaml("kizuna.analytics.text", "data/topics.yaml").get("topics") or {}
    return {
        str(code): {"ja": str(spec.get("name_ja") or code), "en": str(spec.get("name_en") or code)}
        for code, spec in taxonomy.items()
        if isinstance(spec, Mapping)
    }


@cache
def _vocabulary() -> dict[str, dict[str, Names]]:
    data = _read_yaml("kizuna.i18n", "vocabulary.yaml")
    vocabulary = {
        str(kind): {
            str(code): {str(k): str(v) for k, v in names.items()} for code, names in codes.items()
        }
        for kind, codes in data.items()
    }
    vocabulary["topic"] = _topics()
    return vocabulary


def kinds() -> list[str]:
    return sorted(_vocabulary())


def codes(kind: str) -> list[str]:
    """The codes of one kind in vocabulary order."""
    return list(_vocabulary().get(kind, {}))


def labels_of(kind: str, language: str) -> dict[str, str]:
    """Code -> label of one kind, in vocabulary order (for choices: options, filters)."""
    return {
        code: names.get(language) or names["en"]
        for code, names in _vocabulary().get(kind, {}).items()
    }


def _names(kind: str, code: str) -> tuple[Names, str] | None:
    entries = _vocabulary().get(kind, {})
    if code in entries:
        return entries[code], ""
    family, colon, rest = code.partition(":")
    if colon and rest and family in entries:
        return entries[family], rest
    return None


def label(kind: str, code: object, language: str = "ja") -> str:
    """The label of a stored code; a missing one is remembered and shown humanised."""
    if code is None or code == "":
        return ""
    text = str(code)
    found = _names(kind, text)
    if found is None:
        _missing.add((kind, text))
        return text.replace("_", " ").replace("-", " ").capitalize()
    names, rest = found
    name = names.get(language) or names["en"]
    return f"{name} ({rest})" if rest else name


def missing_labels() -> set[tuple[str, str]]:
    """(kind, code) pairs asked for since start (or the last `clear`) that have no label."""
    return set(_missing)


def clear_missing() -> None:
    _missing.clear()
