"""The workspace's topics: its taxonomy, and changing it (custom, rename, merge, split, hide,
undo). Every change is a `TopicChange` row (who, when) with an audit record, written in the
caller's transaction together with one keyed relabel job (`kizuna.topics.relabel`) when it
alters what voices hold; a rename does not (topics are stored by key, named at display).

Rules a request's shape cannot state answer Conflict (409) or NotFound (404): a key in use,
a topic that is not (or no longer) active, a change already undone. A key that is not of
the key's shape (the API's schema refuses it before) is InvalidInput, for the forms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.topics.models import TopicChange
from kizuna.topics.taxonomy import KEY_PATTERN, Change, Taxonomy, TopicDef, build_taxonomy

__all__ = [
    "SplitPart",
    "add_custom_topic",
    "get_change",
    "hide_topic",
    "list_changes",
    "load_taxonomy",
    "merge_topics",
    "rename_topic",
    "split_topic",
    "topic_names",
    "undo_change",
]


@dataclass(frozen=True)
class SplitPart:
    """One part of a split: a new key, its names and the keywords that send a voice to it."""

    key: str
    name_ja: str
    name_en: str
    keywords: tuple[str, ...]


def _workspace_id(workspace: Workspace | int) -> int:
    return workspace if isinstance(workspace, int) else workspace.id


def load_taxonomy(session: Session, workspace: Workspace | int) -> Taxonomy:
    """The built-in taxonomy with the workspace's changes that are not undone, in order."""
    rows = session.execute(
        select(TopicChange.id, TopicChange.kind, TopicChange.spec)
        .where(
            TopicChange.workspace_id == _workspace_id(workspace),
            TopicChange.undone_at.is_(None),
        )
        .order_by(TopicChange.id)
    ).all()
    return build_taxonomy(Change(int(i), str(k), dict(s or {})) for i, k, s in rows)


def topic_names(session: Session, workspace: Workspace | int, language: str) -> dict[str, str]:
    """Topic key -> the workspace's name for it in `language` (merged and hidden ones too)."""
    taxonomy = load_taxonomy(session, workspace)
    return {key: t.name(language) for key, t in taxonomy.topics.items()}


def _active(taxonomy: Taxonomy, key: str) -> TopicDef:
    found = taxonomy.topics.get(key)
    if found is None or found.state != "active":
        raise NotFound(
            f"No active topic '{key}' in this workspace; list the topics (GET /api/v1/topics "
            "or `kizuna topics list`) and use one of their keys.",
            f"このワークスペースに有効なトピック「{key}」はありません。トピック一覧"
            "(GET /api/v1/topics または `kizuna topics list`)のキーを指定してください。",
            topic=key,
        )
    return found


def _check_key(key: str) -> None:
    if not re.fullmatch(KEY_PATTERN, key):
        raise InvalidInput(
            f"A topic key is lower-case letters, digits and _ (1 to 64, a letter first); "
            f"'{key[:70]}' is not. Choose a key such as parking or room_bath.",
            f"トピックのキーは英小文字・数字・_ で、英字で始まる64文字以内にしてください"
            f"(「{key[:70]}」は使えません)。例: parking、room_bath。",
            topic=key[:70],
        )


def _free(taxonomy: Taxonomy, key: str) -> None:
    _check_key(key)
    if key in taxonomy.topics:
        raise Conflict(
            f"The key '{key}' is already a topic of this workspace; choose another key.",
            f"キー「{key}」は既にこのワークスペースのトピックです。別のキーを指定してください。",
            topic=key,
        )


def _clean(values: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        text = str(value).strip()
        if text and text not in seen:
            seen.append(text)
    return seen


def _record(
    session: Session,
    workspace: Workspace,
    kind: str,
    spec: dict[str, Any],
    actor: str,
    *,
    relabel: bool = True,
) -> TopicChange:
    change = TopicChange(workspace_id=workspace.id, kind=kind, spec=spec, actor=actor)
    session.add(change)
    session.flush()
    record_audit(
        session, workspace, actor, f"topics.{kind}", f"topic_change:{change.id}", spec=spec
    )
    if relabel:
        from kizuna.topics.relabel import start_relabel

        start_relabel(session, workspace.id, change.id, "apply")
    return change


def add_custom_topic(
    session: Session,
    workspace: Workspace,
    key: str,
    name_ja: str,
    name_en: str,
    keywords: Sequence[str],
    *,
    actor: str = "system",
) -> TopicChange:
    """A topic of the workspace's own: voices whose text holds a keyword get it."""
    taxonomy = load_taxonomy(session, workspace)
    _free(taxonomy, key)
    words = _clean(keywords)
    if not words:
        raise Conflict(
            "A topic needs at least one keyword that is not blank; give its words.",
            "トピックには空白でないキーワードが1つ以上必要です。キーワードを指定してください。",
        )
    spec = {
        "key": key,
        "name_ja": name_ja.strip() or name_en.strip() or key,
        "name_en": name_en.strip() or name_ja.strip() or key,
        "keywords": words,
    }
    return _record(session, workspace, "custom", spec, actor)


def rename_topic(
    session: Session,
    workspace: Workspace,
    key: str,
    name_ja: str | None,
    name_en: str | None,
    *,
    actor: str = "system",
) -> TopicChange:
    """New display names; no voice changes (topics are stored by key)."""
    current = _active(load_taxonomy(session, workspace), key)
    spec = {
        "key": key,
        "name_ja": (name_ja or "").strip() or current.name_ja,
        "name_en": (name_en or "").strip() or current.name_en,
    }
    return _record(session, workspace, "rename", spec, actor, relabel=False)


def merge_topics(
    session: Session,
    workspace: Workspace,
    sources: Sequence[str],
    target: str,
    *,
    name_ja: str | None = None,
    name_en: str | None = None,
    actor: str = "system",
) -> TopicChange:
    """Voices tagged with any source get the target instead (one entry, scores averaged).

    The target is an active topic or a new key (named after the sources unless names are
    given)."""
    taxonomy = load_taxonomy(session, workspace)
    keys = _clean(sources)
    for key in keys:
        _active(taxonomy, key)
    if target in keys or not keys:
        raise Conflict(
            "Merge topics into another one: the target must not be one of the sources.",
            "統合先は統合元と別のトピックにしてください。",
            target=target,
        )
    _check_key(target)
    if target in taxonomy.topics:
        _active(taxonomy, target)
    spec: dict[str, Any] = {"sources": keys, "target": target}
    if (name_ja or "").strip():
        spec["name_ja"] = (name_ja or "").strip()
    if (name_en or "").strip():
        spec["name_en"] = (name_en or "").strip()
    return _record(session, workspace, "merge", spec, actor)


def split_topic(
    session: Session,
    workspace: Workspace,
    source: str,
    parts: Sequence[SplitPart],
    *,
    actor: str = "system",
) -> TopicChange:
    """The source's voices holding a part's keyword get that part; the others keep it."""
    taxonomy = load_taxonomy(session, workspace)
    _active(taxonomy, source)
    keys = [p.key for p in parts]
    if len(set(keys)) != len(keys) or len(keys) < 2:
        raise Conflict(
            "Split a topic into two or more parts with different keys.",
            "トピックは異なるキーの2つ以上に分割してください。",
        )
    for part in parts:
        _free(taxonomy, part.key)
        if not _clean(part.keywords):
            raise Conflict(
                f"The part '{part.key}' needs at least one keyword that is not blank.",
                f"分割先「{part.key}」には空白でないキーワードが1つ以上必要です。",
                topic=part.key,
            )
    spec = {
        "source": source,
        "parts": [
            {
                "key": p.key,
                "name_ja": p.name_ja.strip() or p.name_en.strip() or p.key,
                "name_en": p.name_en.strip() or p.name_ja.strip() or p.key,
                "keywords": _clean(p.keywords),
            }
            for p in parts
        ],
    }
    return _record(session, workspace, "split", spec, actor)


def hide_topic(
    session: Session, workspace: Workspace, key: str, *, actor: str = "system"
) -> TopicChange:
    """The topic leaves every voice and list (undo brings it back)."""
    _active(load_taxonomy(session, workspace), key)
    return _record(session, workspace, "hide", {"key": key}, actor)


def get_change(session: Session, workspace: Workspace, change_id: int) -> TopicChange:
    change = session.scalar(
        select(TopicChange).where(
            TopicChange.workspace_id == workspace.id, TopicChange.id == change_id
        )
    )
    if change is None:
        raise NotFound(
            f"No topic change #{change_id} in this workspace; list them with "
            "GET /api/v1/topics/changes.",
            f"このワークスペースにトピック変更 #{change_id} はありません。"
            "GET /api/v1/topics/changes で一覧を確認してください。",
            change=change_id,
        )
    return change


def undo_change(
    session: Session, workspace: Workspace, change_id: int, *, actor: str = "system"
) -> TopicChange:
    """Take a change back; past voices are relabelled without it (a rename needs nothing)."""
    change = get_change(session, workspace, change_id)
    if change.undone_at is not None:
        raise Conflict(
            f"Topic change #{change_id} is undone already.",
            f"トピック変更 #{change_id} は既に取り消されています。",
            change=change_id,
        )
    change.undone_at = utcnow()
    change.undone_by = actor
    session.flush()
    record_audit(session, workspace, actor, "topics.undo", f"topic_change:{change.id}")
    if change.kind != "rename":
        from kizuna.topics.relabel import start_relabel

        start_relabel(session, workspace.id, change.id, "undo")
    return change


def list_changes(session: Session, workspace: Workspace, limit: int = 200) -> list[TopicChange]:
    """The workspace's changes, newest first."""
    return list(
        session.scalars(
            select(TopicChange)
            .where(TopicChange.workspace_id == workspace.id)
            .order_by(TopicChange.id.desc())
            .limit(limit)
        )
    )
