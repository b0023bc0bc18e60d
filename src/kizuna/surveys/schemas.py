"""Shapes of surveys in the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.web.fields import StrictBody

__all__ = [
    "InvitationPublic",
    "InviteCreate",
    "InviteResult",
    "LinkCreate",
    "LinkPublic",
    "PolicyPublic",
    "PolicyUpdate",
    "ResponsePage",
    "ResponsePublic",
    "SurveyCreate",
    "SurveyPublic",
    "SurveyUpdate",
    "TemplatePublic",
    "ValidationPublic",
]


class SurveyCreate(StrictBody):
    """A new survey: a definition (the YAML format as JSON) or a template's code."""

    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] | None = Field(
        None, description="title, languages, questions, ... (see `kizuna surveys template`)."
    )
    template: str | None = Field(None, examples=["relationship_nps"])
    name: str | None = Field(None, max_length=200)


class SurveyUpdate(StrictBody):
    """A changed definition: a new version when the current one has answers."""

    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any]
    name: str | None = Field(None, max_length=200)


class SurveyPublic(BaseModel):
    id: int
    key: str
    name: str
    status: Literal["draft", "live", "closed"]
    source: str
    template: str | None
    version: int
    closes_at: dt.datetime | None
    response_cap: int | None
    public_url: str
    completed: int = 0
    partial: int = 0
    definition: dict[str, Any] | None = None


class TemplatePublic(BaseModel):
    code: str
    title: dict[str, str]
    measures: list[str]
    questions: int
    definition: dict[str, Any]


class ValidationPublic(BaseModel):
    """Whether a definition is valid, and each problem with its place."""

    valid: bool
    problems: list[dict[str, str]]


class LinkCreate(StrictBody):
    """A personal link: bound to a customer (optional) and a touchpoint, expiring."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = None
    touchpoint: str | None = Field(None, max_length=100)
    hidden: dict[str, str] = Field(default_factory=dict)
    days: int | None = Field(None, ge=1, le=365)
    language: Literal["ja", "en"] | None = None


class LinkPublic(BaseModel):
    invitation_id: int
    url: str | None
    state: str
    skip_reason: str | None
    expires_at: dt.datetime


class InviteCreate(StrictBody):
    """E-mail invitations: customer ids, a segment, or every customer who consented."""

    model_config = ConfigDict(extra="forbid")

    customer_ids: list[int] = Field(default_factory=list, max_length=1_000_000)
    segment_id: int | None = None
    consented: bool = False
    touchpoint: str | None = Field(None, max_length=100)


class InviteResult(BaseModel):
    sent: int
    scheduled: int
    already_invited: int
    skipped: dict[str, int]
    queued: int = Field(description="Customers left to invitation jobs (long lists).")


class InvitationPublic(BaseModel):
    id: int
    customer_id: int | None
    channel: str
    state: str
    skip_reason: str | None
    deferred_reason: str | None
    touchpoint: str | None
    send_after: dt.datetime
    sent_at: dt.datetime | None
    opened_at: dt.datetime | None
    completed_at: dt.datetime | None
    reminders: int


class ResponsePublic(BaseModel):
    id: int
    state: str
    version: int
    channel: str
    language: str
    customer_id: int | None
    customer_ref: str | None
    touchpoint: str | None
    hidden: dict[str, Any]
    answers: dict[str, Any]
    started_at: dt.datetime
    completed_at: dt.datetime | None
    seconds: int | None
    feedback_id: int | None


class ResponsePage(BaseModel):
    items: list[ResponsePublic]
    next_after: int | None = Field(description="Pass as `after` for the next page.")


class PolicyPublic(BaseModel):
    frequency_days: int
    quiet_start: str
    quiet_end: str
    require_consent: bool
    link_days: int
    partial_timeout_minutes: int
    rate_limit_per_minute: int
    allowed_origins: list[str]


_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_ORIGIN = r"^\s*(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?)?\s*$"


class PolicyUpdate(StrictBody):
    model_config = ConfigDict(extra="forbid")

    # The bounds and forms update_policy checks (kizuna.surveys.service).
    frequency_days: int | None = Field(None, ge=0, le=365)
    quiet_start: str | None = Field(None, pattern=_TIME, examples=["21:00"])
    quiet_end: str | None = Field(None, pattern=_TIME, examples=["09:00"])
    require_consent: bool | None = None
    link_days: int | None = Field(None, ge=1, le=365)
    partial_timeout_minutes: int | None = Field(None, ge=5, le=7 * 24 * 60)
    rate_limit_per_minute: int | None = Field(None, ge=0, le=100_000)
    allowed_origins: list[Annotated[str, Field(pattern=_ORIGIN)]] | None = Field(
        None, examples=[["https://www.example.co.jp"]], description="Blank entries are ignored."
    )
