"""Tags on voices: analysts mark voices (one, or every voice of the explorer's filter) and
find them again with the `tag` filter; tags travel in the export.

    add_tag(session, ws, voice_id, "要対応", actor="user:3")
    bulk_tag(session, ws, VoiceFilter(q="待ち時間"), "待ち時間", "add", expected=120, actor=...)

A bulk change names how many voices the person saw (`expected`): when the filter matches
another number now, Conflict says the current count and nothing changes. At most MAX_BULK
voices at once; above INLINE_BULK the change runs as a background job (`feedback.tag_voices`).
Every change is audited; every query names its workspace.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.feedback.explorer import matching_rows
from kizuna.feedback.explorer_filter import MAX_TAG, VoiceFilter
from kizuna.feedback.models import Feedback, VoiceTag, VoiceTagging
from kizuna.jobs.queue import JobPayload, enqueue, job_handler

if TYPE_CHECKING:
    from kizuna.app import Kizuna
    from kizuna.jobs.models import Job

__all__ = [
    "INLINE_BULK",
    "MAX_BULK",
    "BulkTagged",
    "TagVoices",
    "add_tag",
    "bulk_tag",
    "list_tags",
    "remove_tag",
    "tag_name",
]

MAX_BULK = 100_000
INLINE_BULK = 5_000
Action = Literal["add", "remove"]


def tag_name(raw: str) -> str:
    """The tag as stored: spaces trimmed; 1 to MAX_TAG characters, no control codes."""
    name = (raw or "").strip()
    if not 0 < len(name) <= MAX_TAG or any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidInput(
            f"A tag has 1 to {MAX_TAG} characters, without line breaks (got {raw!r}).",
            f"タグは改行を含まない 1〜{MAX_TAG} 文字にしてください(指定 {raw!r})。",
            field="tag",
        )
    return name


def _tag_id(session: Session, workspace: Workspace, name: str, actor: str) -> int:
    """The tag's id, made on first use."""
    found = session.scalar(
        select(VoiceTag.id).where(VoiceTag.workspace_id == workspace.id, VoiceTag.name == name)
    )
    if found is not None:
        return int(found)
    tag = VoiceTag(workspace_id=workspace.id, name=name, created_by=actor)
    session.add(tag)
    session.flush()
    return int(tag.id)


def _voice_tags(session: Session, workspace: Workspace, voice_id: int) -> list[str]:
    known = session.scalar(
        select(Feedback.id).where(Feedback.workspace_id == workspace.id, Feedback.id == voice_id)
    )
    if known is None:
        raise NotFound(
            f"There is no voice {voice_id} in this workspace. Find it in the voice explorer.",
            f"このワークスペースに声 {voice_id} はありません。声の一覧から探してください。",
            voice_id=voice_id,
        )
    return list(
        session.scalars(
            select(VoiceTag.name)
            .join(VoiceTagging, VoiceTagging.tag_id == VoiceTag.id)
            .where(VoiceTagging.workspace_id == workspace.id, VoiceTagging.feedback_id == voice_id)
            .order_by(VoiceTag.name)
        )
    )


def _apply(session: Session, workspace_id: int, tag_id: int, ids: list[int], action: str) -> int:
    """Put the tag on (or take it off) these voices; how many changed."""
    changed = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        if action == "remove":
            result = session.execute(
                delete(VoiceTagging).where(
                    VoiceTagging.workspace_id == workspace_id,
                    VoiceTagging.tag_id == tag_id,
                    VoiceTagging.feedback_id.in_(chunk),
                )
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
            continue
        have = set(
            session.scalars(
                select(VoiceTagging.feedback_id).where(
                    VoiceTagging.tag_id == tag_id, VoiceTagging.feedback_id.in_(chunk)
                )
            )
        )
        new = [i for i in chunk if i not in have]
        if new:
            session.execute(
                insert(VoiceTagging),
                [{"workspace_id": workspace_id, "tag_id": tag_id, "feedback_id": i} for i in new],
            )
        changed += len(new)
    return changed


def add_tag(
    session: Session, workspace: Workspace, voice_id: int, tag: str, *, actor: str
) -> list[str]:
    """Put a tag on one voice (a repeat changes nothing); the voice's tags."""
    name = tag_name(tag)
    _voice_tags(session, workspace, voice_id)
    if _apply(session, workspace.id, _tag_id(session, workspace, name, actor), [voice_id], "add"):
        record_audit(session, workspace, actor, "voice.tag", f"feedback:{voice_id}", tag=name)
    return _voice_tags(session, workspace, voice_id)


def remove_tag(
    session: Session, workspace: Workspace, voice_id: int, tag: str, *, actor: str
) -> list[str]:
    """Take a tag off one voice (absent: nothing changes); the voice's tags."""
    name = tag_name(tag)
    _voice_tags(session, workspace, voice_id)
    tag_id = session.scalar(
        select(VoiceTag.id).where(VoiceTag.workspace_id == workspace.id, VoiceTag.name == name)
    )
    if tag_id is not None and _apply(session, workspace.id, int(tag_id), [voice_id], "remove"):
        record_audit(session, workspace, actor, "voice.untag", f"feedback:{voice_id}", tag=name)
    return _voice_tags(session, workspace, voice_id)


def list_tags(session: Session, workspace: Workspace) -> list[tuple[str, int]]:
    """Every tag of the workspace with how many voices carry it, by name."""
    count = func.count(VoiceTagging.feedback_id)
    rows = session.execute(
        select(VoiceTag.name, count)
        .outerjoin(VoiceTagging, VoiceTagging.tag_id == VoiceTag.id)
        .where(VoiceTag.workspace_id == workspace.id)
        .group_by(VoiceTag.id, VoiceTag.name)
        .order_by(VoiceTag.name)
    )
    return [(str(name), int(n)) for name, n in rows]


def _matching_ids(session: Session, workspace: Workspace, wanted: VoiceFilter) -> list[int]:
    """The ids the filter matches, refusing more than MAX_BULK."""
    ids: list[int] = []
    for row, _ in matching_rows(session, workspace, wanted, cues=False):
        ids.append(int(row.id))
        if len(ids) > MAX_BULK:
            raise InvalidInput(
                f"More than {MAX_BULK:,} voices match; narrow the filter (a period, a channel, "
                "a topic) and tag them in parts.",
                f"該当する声が {MAX_BULK:,} 件を超えています。期間・チャネル・トピックなどで"
                "絞り込み、分けてタグ付けしてください。",
                limit=MAX_BULK,
            )
    return ids


def count_matching(session: Session, workspace: Workspace, wanted: VoiceFilter) -> int:
    """How many voices a bulk change would touch (refusing more than MAX_BULK)."""
    return len(_matching_ids(session, workspace, wanted))


@dataclass(frozen=True)
class BulkTagged:
    """What a bulk change did: `changed` now, or `job_id` of the job that will."""

    matched: int
    changed: int | None = None
    job_id: int | None = None


class TagVoices(JobPayload):
    """Tag (or untag) every voice of a filter, for changes too large for one request."""

    kind: ClassVar[str] = "feedback.tag_voices"
    filter: dict[str, str]
    tag: str
    action: Action
    actor: str


def bulk_tag(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    tag: str,
    action: Action,
    *,
    expected: int,
    actor: str,
) -> BulkTagged:
    """Tag or untag every voice of the filter, once the person has confirmed their number."""
    name = tag_name(tag)
    ids = _matching_ids(session, workspace, wanted)
    if len(ids) != expected:
        raise Conflict(
            f"The filter matches {len(ids):,} voices now, not {expected:,}. Check the filter "
            f"and confirm {len(ids):,}.",
            f"この条件に該当する声は現在 {len(ids):,} 件です({expected:,} 件ではありません)。"
            f"条件を確認し、{len(ids):,} 件で確定してください。",
            matched=len(ids),
        )
    if len(ids) > INLINE_BULK:
        payload = TagVoices(filter=wanted.as_query(), tag=name, action=action, actor=actor)
        job = enqueue(session, payload, workspace_id=workspace.id)
        return BulkTagged(matched=len(ids), job_id=int(job.id))
    changed = _apply(session, workspace.id, _tag_id(session, workspace, name, actor), ids, action)
    _audit_bulk(session, workspace, actor, name, action, wanted, changed)
    return BulkTagged(matched=len(ids), changed=changed)


def _audit_bulk(
    session: Session,
    workspace: Workspace | int,
    actor: str,
    name: str,
    action: str,
    wanted: VoiceFilter,
    changed: int,
) -> None:
    record_audit(
        session,
        workspace,
        actor,
        "voice.bulk_tag" if action == "add" else "voice.bulk_untag",
        f"tag:{name}",
        changed=changed,
        filter=wanted.as_query(),
    )


@job_handler(TagVoices)
def run_tag_voices(kz: Kizuna, job: Job, payload: TagVoices) -> None:
    """The job: the filter read again now, then every matching voice changed in one commit."""
    with kz.session() as session:
        workspace = session.get(Workspace, job.workspace_id)
        if workspace is None:
            return
        wanted = VoiceFilter.from_query(payload.filter)
        ids = _matching_ids(session, workspace, wanted)
        tag_id = _tag_id(session, workspace, payload.tag, payload.actor)
        changed = _apply(session, workspace.id, tag_id, ids, payload.action)
        _audit_bulk(session, workspace, payload.actor, payload.tag, payload.action, wanted, changed)
