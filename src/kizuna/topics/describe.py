"""One line per topic change, in Japanese or English, naming topics the workspace's way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuna.topics.models import TopicChange
from kizuna.topics.taxonomy import Taxonomy

__all__ = ["describe_change"]


def _name(taxonomy: Taxonomy, key: object, language: str, spec: Mapping[str, Any]) -> str:
    found = taxonomy.name(str(key), language)
    if found:
        return found
    own = spec.get("name_ja" if language == "ja" else "name_en")
    return str(own or key)


def describe_change(change: TopicChange, taxonomy: Taxonomy, language: str) -> str:
    """What the change did, e.g. 「朝食」「夕食」を「料理」に統合."""
    spec = dict(change.spec or {})
    ja = language == "ja"

    def q(key: object, own: Mapping[str, Any] | None = None) -> str:
        name = _name(taxonomy, key, language, own or {})
        return f"「{name}」" if ja else f"“{name}”"

    if change.kind == "custom":
        words = (
            "、".join(spec.get("keywords") or []) if ja else ", ".join(spec.get("keywords") or [])
        )
        return (
            f"トピック{q(spec['key'], spec)}を追加(キーワード: {words})"
            if ja
            else f"Added the topic {q(spec['key'], spec)} (keywords: {words})"
        )
    if change.kind == "rename":
        new = spec.get("name_ja" if ja else "name_en")
        return f"名前を「{new}」に変更" if ja else f"Renamed to “{new}”"
    if change.kind == "merge":
        sources = "".join(q(s) for s in spec.get("sources") or [])
        target = q(spec["target"], spec)
        return f"{sources}を{target}に統合" if ja else f"Merged {sources} into {target}"
    if change.kind == "split":
        parts = "".join(q(p["key"], p) for p in spec.get("parts") or [])
        source = q(spec["source"])
        return f"{source}を{parts}に分割" if ja else f"Split {source} into {parts}"
    return f"{q(spec.get('key'))}を非表示" if ja else f"Hid {q(spec.get('key'))}"
