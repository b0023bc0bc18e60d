"""Tables of the journeys room: the journey, its stages, touchpoint rules, stored analytics.

A workspace has one journey (made with the default stages on first use). Stages are
ordered; a stage's `name` is the team's own word, or NULL for a default stage, which is
then named by the vocabulary (`journey_stage`) in the reader's language. Rules place
interactions and voices on a stage and a touchpoint (see `kizuna.journeys.mapping`).
Snapshots hold the computed analytics of one scope (everyone, a segment, a persona) over
one period, so pages read them instead of recounting every interaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.db.base import Base, BigId, WorkspaceScoped, utcnow

__all__ = ["Journey", "JourneySnapshot", "JourneyStage", "TouchpointRule"]


class Journey(WorkspaceScoped, Base):
    """A workspace's customer journey: ordered stages and the rules that fill them."""

    workspace_index = False  # led by the unique key
    __tablename__ = "journey"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Bumped on every change of stages or rules; snapshots remember the version they used.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JourneyStage(WorkspaceScoped, Base):
    """One stage: position in the journey, whether it is a funnel step, goals, opportunities."""

    __tablename__ = "journey_stage"
    __table_args__ = (UniqueConstraint("journey_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    position: Mapped[int] = mapped_column(Integer)
    in_funnel: Mapped[bool] = mapped_column(default=True)
    goal: Mapped[str | None] = mapped_column(Text, default=None)
    opportunity: Mapped[str | None] = mapped_column(Text, default=None)


class TouchpointRule(WorkspaceScoped, Base):
    """Records matching `match` go to `stage_code`, at `touchpoint` (or their own), `direct`.

    `applies_to` is interaction, voice or any; `match` holds lists of accepted values per
    field (channel, kind, touchpoint, source) and `properties` (key -> value); an empty
    field accepts everything. The first rule that matches wins.
    """

    __tablename__ = "touchpoint_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    applies_to: Mapped[str] = mapped_column(String(16), default="interaction")
    match: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stage_code: Mapped[str] = mapped_column(String(64))
    touchpoint: Mapped[str | None] = mapped_column(String(100), default=None)
    direct: Mapped[bool | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JourneySnapshot(WorkspaceScoped, Base):
    """The journey analytics of one scope over one period, as last computed."""

    workspace_index = False  # led by the unique key
    __tablename__ = "journey_snapshot"
    __table_args__ = (UniqueConstraint("workspace_id", "journey_id", "scope", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    journey_version: Mapped[int] = mapped_column(Integer)
    start: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end: Mapped[dt.date] = mapped_column(Date)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    interactions: Mapped[int] = mapped_column(Integer, default=0)
    voices: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
