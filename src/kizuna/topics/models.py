"""Tables of the topics room: a workspace's changes to the taxonomy, the topics discovery
proposes, the background runs that relabel past voices, and the engine's own topic lists
of the voices a change rewrote.

`topic_change` is the record of every change (who, when; undone ones keep their row with
who undid them). `topic_original` keeps, per analysis row, the list the text engine
stored before a change first rewrote it, so relabelling always starts from the engine's
output and an undo can give the voices their topics back; it goes with its analysis row
(a re-analysis deletes both). `topic_relabel` is one background run with its progress
(`cursor` is the last analysis id done, so a run killed mid-way resumes where it stopped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, JSONType, WorkspaceScoped, utcnow

__all__ = [
    "PROPOSAL_STATES",
    "RELABEL_STATES",
    "TopicChange",
    "TopicOriginal",
    "TopicProposal",
    "TopicRelabel",
]

PROPOSAL_STATES = ("proposed", "accepted", "dismissed")
RELABEL_STATES = ("queued", "running", "done", "superseded")


class TopicChange(WorkspaceScoped, Base):
    """One change to the workspace's topics: custom, rename, merge, split or hide."""

    __tablename__ = "topic_change"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    undone_by: Mapped[str | None] = mapped_column(String(200), default=None)


class TopicProposal(WorkspaceScoped, Base):
    """A topic discovery proposed from voices no topic matched, and what became of it."""

    __tablename__ = "topic_proposal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phrase: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    samples: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    change_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic_change.id", ondelete="SET NULL"), default=None
    )


class TopicRelabel(WorkspaceScoped, Base):
    """One background run rewriting the stored topics of past voices, with its progress."""

    __tablename__ = "topic_relabel"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    change_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic_change.id", ondelete="SET NULL"), default=None
    )
    reason: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    done: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class TopicOriginal(WorkspaceScoped, Base):
    """The text engine's topic list of one analysis row, kept when a change first rewrote it."""

    workspace_index = False  # looked up by analysis only
    __tablename__ = "topic_original"
    __table_args__ = (UniqueConstraint("analysis_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("feedback_analysis.id", ondelete="CASCADE"))
    topics: Mapped[list[Any]] = mapped_column(JSONType, default=list)
