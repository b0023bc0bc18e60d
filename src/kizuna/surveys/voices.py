"""An answer becomes a voice: the record `record_voice` takes, and writing many at once.

`voice_record` maps a response to a feedback record: the first NPS, CSAT and CES questions
fill those scores, the first 1-5 rating fills `rating`, the free-text answers (in question
order) are the text the text engine analyses, the touchpoint and the customer come from the
link, and the hidden fields, the choices and the survey's ids go to the properties (store,
staff and order under the names the timeline shows). `external_id` is `survey:<survey id>:
<response key>`, stable for a response, so a partial answer recorded after its time-out and
completed later updates the same voice instead of adding one.

`record_answer_voices` writes a batch's voices in the caller's transaction: one answer goes
through `kizuna.feedback.service.record_voice`; a group (the answer writer's group commit
under load) goes through the very same import rules in one pass (`convert_row`,
`write_batch`, as `record_voice` itself does for one record), which raises one
`voice.recorded` event for the group instead of one per answer. Each voice is audited as
`record_voice` audits it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import AuditEvent, Workspace
from kizuna.db.base import utcnow
from kizuna.feedback.service import record_voice
from kizuna.surveys.definition import Definition
from kizuna.surveys.logic import answer_text
from kizuna.surveys.models import Survey, SurveyResponse
from kizuna.surveys.service import definition_at, get_policy

__all__ = [
    "VOICE_FIELDS",
    "VoiceWrite",
    "close_stale_partials",
    "record_answer_voices",
    "voice_channel",
    "voice_record",
]

VOICE_FIELDS = (
    "external_id",
    "received_at",
    "channel",
    "touchpoint",
    "customer_ref",
    "text",
    "language",
    "nps",
    "csat",
    "ces",
    "rating",
    "properties",
)
# Hidden fields shown on the timeline under the property names it knows.
_PROPERTY_NAMES = {"store": "store", "staff": "staff", "order": "order_no", "hotel": "hotel"}
_NOT_PROPERTIES = ("customer", "touchpoint")
_AUDIT = cast(Table, AuditEvent.__table__)


@dataclass(frozen=True)
class VoiceWrite:
    """One voice to write: its source (survey or employee), record and response."""

    source: str
    record: dict[str, Any]
    response: Any  # a SurveyResponse, or a draft of one (kizuna.surveys.answering.Draft)


def voice_channel(response_channel: str, definition: Definition) -> str:
    """The feedback channel of an answer: e-mail, the QR code's place, or the web."""
    if response_channel == "email":
        return "email"
    if response_channel == "qr":
        return definition.qr_channel
    return "web"


def voice_record(
    survey: Survey, definition: Definition, response: Any, *, partial: bool
) -> dict[str, Any]:
    """The feedback record of a response (see the module docstring)."""
    scores: dict[str, Any] = {}
    texts: list[str] = []
    choices: dict[str, Any] = {}
    answers = response.answers or {}
    for question in definition.questions:
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            continue
        kind = question.type
        if kind in ("nps", "csat", "ces") and kind not in scores:
            scores[kind] = int(value)
        elif kind == "rating" and "rating" not in scores and (question.min, question.max) == (1, 5):
            scores["rating"] = float(value)
        elif kind == "text":
            texts.append(str(value).strip())
        elif kind in ("single", "multiple", "consent", "number", "rating"):
            choices[question.id] = value
            other = answers.get(f"{question.id}.other")
            if other:
                texts.append(answer_text(question, value, response.language, other))
    properties: dict[str, Any] = {"survey_id": survey.id, "survey_version": response.version}
    if survey.template:
        properties["survey"] = survey.template
    if partial:
        properties["partial"] = True
    if choices:
        properties["answers"] = choices
    hidden = response.hidden or {}
    for name, value in hidden.items():
        if name in _NOT_PROPERTIES or value in (None, ""):
            continue
        if name == "interaction":
            properties["interaction_id"] = value
        else:
            properties[_PROPERTY_NAMES.get(name, name)] = value
    moment = response.completed_at or response.updated_at
    return {
        "external_id": f"survey:{survey.id}:{response.response_key}",
        "received_at": moment.isoformat(),
        "channel": voice_channel(response.channel, definition),
        "touchpoint": response.touchpoint,
        "customer_ref": response.customer_ref if definition.source != "employee" else None,
        "text": "\n".join(t for t in texts if t) or None,
        "language": response.language,
        "nps": scores.get("nps"),
        "csat": scores.get("csat"),
        "ces": scores.get("ces"),
        "rating": scores.get("rating"),
        "properties": properties,
    }


def record_answer_voices(
    session: Session, workspace: Workspace, writes: Sequence[VoiceWrite], *, actor: str
) -> list[int]:
    """Store the voices in the caller's transaction; their feedback ids, in order."""
    ids: list[int] = [0] * len(writes)
    by_source: dict[str, list[int]] = {}
    for index, write in enumerate(writes):
        by_source.setdefault(write.source, []).append(index)
    for source, indexes in by_source.items():
        if len(indexes) == 1:
            write = writes[indexes[0]]
            ids[indexes[0]] = record_voice(
                session, workspace, write.record, source=source, actor=actor
            ).id
            continue
        found = _write_group(session, workspace, [writes[i].record for i in indexes], source, actor)
        for index, feedback_id in zip(indexes, found, strict=True):
            ids[index] = feedback_id
    return ids


def _write_group(
    session: Session,
    workspace: Workspace,
    records: Sequence[Mapping[str, Any]],
    source: str,
    actor: str,
) -> list[int]:
    """Many records through the import rules in one pass (what `record_voice` does for one)."""
    from kizuna.ingest.block import Block
    from kizuna.ingest.fields import RowContext, build_plan, convert_row
    from kizuna.ingest.runner import check_source
    from kizuna.ingest.single import RecordRejected
    from kizuna.ingest.values import DateParser, RowRejected
    from kizuna.ingest.vocabulary import vocabulary
    from kizuna.ingest.writer import Counts, Scope, customer_sources, write_batch

    chosen = check_source("feedback", source)
    plan = build_plan("feedback", VOICE_FIELDS, vocabulary())
    ctx = RowContext("feedback", vocabulary(), DateParser(workspace.timezone))
    prepared = []
    for line, record in enumerate(records, start=1):
        try:
            prepared.append(
                convert_row(line, tuple(record.get(f) for f in VOICE_FIELDS), plan, ctx)
            )
        except RowRejected as why:
            raise RecordRejected(why.en, why.ja, reason_code=why.code) from None
    conn = session.connection()
    block = Block.of(prepared)
    done = write_batch(
        conn,
        Scope("feedback", workspace.id, chosen, None),
        block,
        [],
        Counts(),
        # The workspace's customer sources only matter to link a voice to its customer.
        sources=customer_sources(conn, workspace.id)
        if any(record.get("customer_ref") for record in records)
        else [],
        want_ids=True,
    )
    audits = [
        (f"voice.{status}", f"feedback:{done.ids[key]}")
        for key, status in zip(block.keys, done.statuses, strict=True)
        if status != "unchanged"
    ]
    _record_audits(conn, workspace.id, actor, audits)
    return [done.ids[key] for key in block.keys]


def _record_audits(
    conn: Connection, workspace_id: int, actor: str, audits: Sequence[tuple[str, str]]
) -> None:
    """The rows `record_audit` would add, one per (action, target), in one INSERT: the ORM's
    unit of work costs more per row than the rest of an answer's voice."""
    if not audits:
        return
    now = utcnow()
    conn.execute(
        insert(_AUDIT),
        [
            {
                "workspace_id": workspace_id,
                "occurred_at": now,
                "actor": actor[:200],
                "action": action[:100],
                "target": target[:200],
                "details": {},
            }
            for action, target in audits
        ],
    )


def close_stale_partials(
    session: Session,
    workspace: Workspace,
    *,
    now: dt.datetime | None = None,
    limit: int = 2000,
) -> int:
    """Partial answers left alone longer than the workspace's time-out become voices (marked
    partial) at once; how many. Answered again later, they update that same voice."""
    now = now or utcnow()
    policy = get_policy(session, workspace)
    cutoff = now - dt.timedelta(minutes=policy.partial_timeout_minutes)
    rows = session.execute(
        select(SurveyResponse, Survey)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(
            SurveyResponse.workspace_id == workspace.id,
            SurveyResponse.state == "partial",
            SurveyResponse.updated_at <= cutoff,
        )
        .order_by(SurveyResponse.id)
        .limit(limit)
    ).all()
    writes = []
    for response, survey in rows:
        if response.voice_at is not None and response.voice_at >= response.updated_at:
            continue
        if not any(v not in (None, "", []) for v in (response.answers or {}).values()):
            continue
        definition = definition_at(session, survey, response.version)
        record = voice_record(survey, definition, response, partial=True)
        writes.append(VoiceWrite(definition.source, record, response))
    if not writes:
        return 0
    ids = record_answer_voices(session, workspace, writes, actor="system")
    for write, feedback_id in zip(writes, ids, strict=True):
        write.response.feedback_id = feedback_id
        write.response.voice_at = now
    session.flush()
    return len(writes)
