"""Use cases of the feedback room: recording one voice, and counting voices by channel.

`record_voice` is the one way to write a voice outside the bulk importer; both apply the
same rules (`kizuna.ingest.single`) and raise the same event. Metrics live in the reports
room. Every query here is scoped to one workspace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.feedback.models import Feedback

if TYPE_CHECKING:
    from kizuna.ingest.single import Written

__all__ = ["count_feedback_by_channel", "record_voice"]


def count_feedback_by_channel(
    session: Session,
    workspace: Workspace,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[str, int]]:
    """Customer feedback per channel (largest first) received between start and end inclusive.

    Employee answers (source "employee", for eNPS) are not customer voices and are left out.
    """
    count = func.count(Feedback.id)
    query = (
        select(Feedback.channel, count)
        .where(Feedback.workspace_id == workspace.id, Feedback.source != "employee")
        .group_by(Feedback.channel)
        .order_by(count.desc(), Feedback.channel)
    )
    if start is not None:
        query = query.where(Feedback.received_on >= start)
    if end is not None:
        query = query.where(Feedback.received_on <= end)
    return [(str(channel), int(n)) for channel, n in session.execute(query)]


def record_voice(
    session: Session,
    workspace: Workspace,
    record: Mapping[str, Any],
    *,
    source: str | None = None,
    actor: str = "system",
) -> Written:
    """Store one voice (a survey answer, a review, a ticket, ...) and raise `voice.recorded`.

    The record has the fields of a feedback import (received_at, text, nps, csat, ces,
    rating, channel, touchpoint, customer_ref, external_id, properties); it is checked by
    the import rules, keyed by (source, external_id) so a repeat changes nothing, stored in
    the caller's transaction with its event, and audited. InvalidInput says what to fix.
    """
    from kizuna.ingest.single import write_record

    written = write_record(session, workspace, "feedback", record, source=source)
    if written.status != "unchanged":
        record_audit(session, workspace, actor, f"voice.{written.status}", f"feedback:{written.id}")
    return written
