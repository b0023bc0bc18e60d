"""Use cases of the feedback room that pages read: how many voices came in, by channel.

Writes go through the ingest room; metrics through the reports room. Every query here is
scoped to one workspace.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.feedback.models import Feedback

__all__ = ["count_feedback_by_channel"]


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
