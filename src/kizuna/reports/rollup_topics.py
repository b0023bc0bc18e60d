"""Voices per topic over all days from the dashboard's rollups, for the Topics page.

    rollup_topic_counts(session, workspace_id, recent_from)   # topic -> RollupTopicCount

The Topics page (`kizuna.topics.counts.topic_rows`) counts every voice of the workspace
per topic, all time and recent; expanding each voice's topics per request took 7.2 s at
1 M voices. The rollups hold the same counts per day (grain "all"), so this sums a few
thousand rows instead. It refreshes the rollups first, as the dashboard does: two index
lookups when nothing changed, the changed days counted again otherwise, so a voice
recorded, analysed or relabelled since is counted.

The rollups leave out employee voices (`EMPLOYEE_SOURCE`): a reader that wants every
voice adds those itself (the topics room does, from the employee voices alone).
Reads the rollup tables only; writes nothing but what `refresh_rollups` writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from kizuna.reports.models import DashboardTopicDay
from kizuna.reports.rollups import EMPLOYEE_SOURCE, refresh_rollups

__all__ = ["EMPLOYEE_SOURCE", "RollupTopicCount", "rollup_topic_counts"]


@dataclass(frozen=True)
class RollupTopicCount:
    """Customer voices mentioning a topic: all days, recent days, and per polarity.

    A voice counts once per topic, and under each polarity any of its mentions of the
    topic has; `unlabelled` are the voices whose mentions carry none of the four
    polarities (no polarity at all, which the explorer's counts read as neutral).
    """

    voices: int
    recent: int
    positive: int
    neutral: int
    negative: int
    mixed: int

    @property
    def unlabelled(self) -> int:
        return max(0, self.voices - self.positive - self.neutral - self.negative - self.mixed)


def _refresh(session: Session, workspace_id: int) -> None:
    """Bring the rollups up to date in a savepoint: when another request or the worker is
    counting the same days (a lock or a duplicate row), the rows already there will do."""
    try:
        with session.begin_nested():
            refresh_rollups(session, workspace_id)
    except (IntegrityError, OperationalError):
        pass


def rollup_topic_counts(
    session: Session, workspace_id: int, recent_from: dt.date
) -> dict[str, RollupTopicCount]:
    """Topic key -> its customer voices (employee voices left out), refreshed first;
    `recent` counts the voices received on or after `recent_from`."""
    _refresh(session, workspace_id)
    table = DashboardTopicDay
    query = (
        select(
            table.topic,
            func.sum(table.voices),
            func.sum(case((table.day >= recent_from, table.voices), else_=0)),
            func.sum(table.positive),
            func.sum(table.neutral),
            func.sum(table.negative),
            func.sum(table.mixed),
        )
        .where(table.workspace_id == workspace_id, table.grain == "all")
        .group_by(table.topic)
    )
    return {
        str(topic): RollupTopicCount(*(int(n or 0) for n in numbers))
        for topic, *numbers in session.execute(query)
    }
