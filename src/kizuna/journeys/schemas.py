"""Shapes of the journeys API: the journey's definition, rules, stored analytics."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.web.fields import StrictBody

__all__ = [
    "SCOPE_PATTERN",
    "JourneyAnalyticsPublic",
    "JourneyPeriod",
    "JourneyPublic",
    "RefreshPublic",
    "RefreshRequest",
    "RulePublic",
    "StagePublic",
    "StagesUpdate",
    "TouchpointRuleCreate",
]


class StagePublic(BaseModel):
    """A stage: its code, the team's name (null: the default name), funnel step or not."""

    code: str
    name: str | None
    display_name: str = Field(description="The name shown, in the request's language.")
    in_funnel: bool
    goal: str | None
    opportunity: str | None


class RulePublic(BaseModel):
    """A touchpoint rule; the first rule a record matches places it."""

    id: int | None
    applies_to: str
    match: dict[str, Any]
    stage: str
    touchpoint: str | None
    direct: bool | None


class JourneyPublic(BaseModel):
    """The workspace's journey: stages in order and rules in order."""

    id: int
    name: str
    version: int
    stages: list[StagePublic]
    rules: list[RulePublic]


# What check_scope (kizuna.journeys.data) takes; ids stay within 64 bits.
SCOPE_PATTERN = r"^(all|(segment|persona):[0-9]{1,18})$"
JourneyPeriod = Literal["90d", "365d", "all"]


class StageEdit(StrictBody):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=64, description="Null for a new stage.")
    name: str | None = Field(default=None, max_length=100)
    in_funnel: bool = True
    goal: str | None = Field(default=None, max_length=500)
    opportunity: str | None = Field(default=None, max_length=500)


class StagesUpdate(StrictBody):
    """Every stage in its new order (a stage left out is removed)."""

    model_config = ConfigDict(extra="forbid")

    stages: list[StageEdit] = Field(min_length=1, max_length=12)


class TouchpointRuleCreate(StrictBody):
    """A new rule: conditions (lists of values per field, or properties) and where it places."""

    model_config = ConfigDict(extra="forbid")

    applies_to: Literal["interaction", "voice", "any"] = "interaction"
    match: dict[str, Any] = Field(examples=[{"kind": ["stay"], "channel": ["store"]}])
    stage: str = Field(max_length=64, examples=["use"])
    touchpoint: str | None = Field(default=None, max_length=100)
    direct: bool | None = None
    position: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="0: before every other rule."
    )


class JourneyAnalyticsPublic(BaseModel):
    """The stored analytics of one scope and period (see the journey page for each part)."""

    scope: str
    period: str
    start: dt.date | None
    end: dt.date
    computed_at: dt.datetime
    stale: bool = Field(description="Computed before the journey's last change.")
    result: dict[str, Any]


class RefreshRequest(StrictBody):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(
        default="all",
        max_length=64,
        pattern=SCOPE_PATTERN,
        examples=["all", "persona:3", "segment:2"],
    )
    period: JourneyPeriod = "365d"


class RefreshPublic(BaseModel):
    """The queued jobs; the analytics appear once they have run."""

    jobs: list[int]
