"""Shapes of customers, Customer 360 views and segments in the REST API (XCreate in, XPublic out).

Create shapes stay close to import columns: dates are strings in any format imports accept
(ISO 8601, 2025/4/1, 2025年4月1日, 令和7年4月1日), so the API and files validate the same way
through the ingest room. Unknown fields are refused, so a typo never disappears silently, and
JSON types are kept (strict): `0` is not `false`, `"3"` is not `3`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.feedback.schemas import Amount

__all__ = [
    "ActionPublic",
    "ChurnFactorPublic",
    "ContextCardPublic",
    "CustomerCreate",
    "CustomerPagePublic",
    "CustomerProfilePublic",
    "CustomerPublic",
    "CustomerScorePublic",
    "IdentityPublic",
    "InteractionBatch",
    "InteractionCreate",
    "InteractionRecord",
    "SegmentCondition",
    "SegmentCountPublic",
    "SegmentCountRequest",
    "SegmentCreate",
    "SegmentCustomersPublic",
    "SegmentPublic",
    "SegmentUpdate",
    "TimelineItemPublic",
    "TimelinePagePublic",
    "TopicMentionPublic",
]


class CustomerCreate(BaseModel):
    """A customer as sent to POST /api/v1/customers; `external_id` is the key in your system."""

    model_config = ConfigDict(extra="forbid", strict=True)

    external_id: str = Field(min_length=1, max_length=200, examples=["C-0001"])
    source: str | None = Field(None, description="System the id comes from (default: import).")
    name: str | None = Field(None, examples=["山田 花子"])
    email: str | None = None
    phone: str | None = None
    line_id: str | None = None
    birthday: str | None = Field(None, description="ISO 8601 or Japanese date (1990年4月1日).")
    age_band: str | None = Field(None, examples=["30-39"])
    gender: str | None = None
    prefecture: str | None = Field(None, examples=["東京都"])
    life_stage: str | None = None
    interests: list[str] | str | None = Field(None, description="A list, or '|'/'、' separated.")
    consent_email: bool | None = None
    consent_analysis: bool | None = None
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Any other attributes, stored as they are."
    )

    def to_record(self) -> dict[str, Any]:
        """The import record (canonical field names); `source` travels beside it."""
        return self.model_dump(exclude={"source"})


class CustomerPublic(BaseModel):
    """A customer as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    external_id: str
    name: str | None
    email: str | None
    phone: str | None
    line_id: str | None
    birthday: dt.date | None
    age_band: str | None
    gender: str | None
    prefecture: str | None
    life_stage: str | None
    interests: list[str]
    consent_email: bool
    consent_analysis: bool
    attributes: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerPagePublic(BaseModel):
    """One page of customers; pass `next_cursor` as `cursor` to get the next page."""

    items: list[CustomerPublic]
    next_cursor: str | None
    limit: int


class InteractionCreate(BaseModel):
    """Something that happened between a customer and the company."""

    model_config = ConfigDict(extra="forbid", strict=True)

    external_id: str | None = Field(
        None, max_length=200, description="Your id; when absent, a key is derived from content."
    )
    customer_ref: str | None = Field(None, description="The customer's external_id.")
    occurred_at: str = Field(
        description="When it happened; without a zone it is in the workspace's time zone.",
        examples=["2025-04-01T10:30:00+09:00"],
    )
    channel: str = Field(examples=["store"])
    touchpoint: str | None = None
    kind: str | None = Field(None, examples=["purchase"])
    direct: bool | None = None
    amount: Amount = None
    properties: dict[str, Any] | None = None


class InteractionRecord(InteractionCreate):
    """One interaction sent alone, with the system it comes from (part of its key)."""

    source: str | None = Field(None, examples=["pos"], description="Default: import.")


class InteractionBatch(BaseModel):
    """Interactions to import in one call (at most 5,000)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: str | None = Field(
        None,
        examples=["pos"],
        description="The system these come from, e.g. pos or crm (default: import). Part of "
        "each record's key.",
    )
    records: list[InteractionCreate]


class IdentityPublic(BaseModel):
    """An identifier of the person and the record (`customer_id`) it was seen on."""

    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(examples=["email"], description="email, phone, line_id or external:<source>.")
    value: str = Field(description="The normalised value (e-mail lower-cased, phone in E.164).")
    source: str
    customer_id: int


class ChurnFactorPublic(BaseModel):
    """One feature's push on the churn risk: `effect` > 0 raises it."""

    model_config = ConfigDict(from_attributes=True)

    feature: str
    value: Any = None
    effect: float


class CustomerScorePublic(BaseModel):
    """The latest predictions for one person (BG/NBD, Gamma-Gamma CLV, churn risk)."""

    model_config = ConfigDict(from_attributes=True)

    as_of: dt.date = Field(description="The day the scores were computed for.")
    computed_at: dt.datetime
    frequency: int = Field(description="Repeat purchases (BG/NBD's x).")
    recency_days: int | None
    tenure_days: int | None
    monetary_value: float | None
    expected_purchases_90d: float | None
    p_alive: float | None = Field(description="Probability the customer is still active, 0..1.")
    clv_12m: float | None = Field(description="Expected value of the next 12 months.")
    clv_percentile: float | None = Field(description="Rank of clv_12m in the workspace, 0..100.")
    churn_probability: float | None
    churn_factors: list[ChurnFactorPublic]
    nps_last: int | None
    sentiment_trend: float | None
    model_version: str


class CustomerProfilePublic(BaseModel):
    """One person: the surviving record, every record of the group, identities and scores."""

    model_config = ConfigDict(from_attributes=True)

    customer: CustomerPublic
    group_ids: list[int] = Field(description="Every record of this person, survivor first.")
    identities: list[IdentityPublic]
    score: CustomerScorePublic | None
    lifecycle_stage: str | None


class TimelineItemPublic(BaseModel):
    """An interaction or a piece of feedback on the person's timeline."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["interaction", "feedback"]
    id: int
    occurred_at: dt.datetime
    channel: str
    touchpoint: str | None
    title: str = Field(description="Interaction kind (purchase, stay, ...) or feedback source.")
    text: str | None
    amount: float | None
    scores: dict[str, float]
    analysis: dict[str, Any] | None
    properties: dict[str, Any]


class TimelinePagePublic(BaseModel):
    """One page of the timeline, newest first; pass `next_cursor` as `cursor` for the next."""

    model_config = ConfigDict(from_attributes=True)

    items: list[TimelineItemPublic]
    next_cursor: str | None


class ActionPublic(BaseModel):
    """A next best action for one customer; priority 1 is the most urgent."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    code: str = Field(examples=["call_detractor_high_value"])
    title_ja: str
    title_en: str
    reason_ja: str
    reason_en: str
    priority: int
    due_within_hours: int | None


class TopicMentionPublic(BaseModel):
    """A topic the customer talked about lately, with the prevailing sentiment."""

    model_config = ConfigDict(from_attributes=True)

    topic: str
    sentiment: str | None
    count: int


class ContextCardPublic(BaseModel):
    """What frontline staff need before they talk to the customer, on one card."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    name: str | None
    lifecycle_stage: str | None
    recent_activity: list[TimelineItemPublic]
    recent_topics: list[TopicMentionPublic]
    last_support: TimelineItemPublic | None
    last_support_outcome: str | None
    expected_purchases_90d: float | None
    p_alive: float | None
    churn_probability: float | None
    clv_12m: float | None
    churn_factors: list[ChurnFactorPublic]
    actions: list[ActionPublic]
    summary_ja: str
    summary_en: str


SegmentOp = Literal["eq", "ne", "in", "gte", "lte", "contains"]


class SegmentCondition(BaseModel):
    """One condition; a customer is in the segment when every condition holds."""

    model_config = ConfigDict(extra="forbid", strict=True)

    field: str = Field(examples=["churn_probability"], description="See GET /segments/fields.")
    op: SegmentOp = Field(examples=["gte"])
    value: Any = Field(examples=[0.5], description="A list for `in`; a number for gte/lte.")


class SegmentCreate(BaseModel):
    """A segment to save: a name and its conditions."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=200, examples=["離反リスクの高い優良顧客"])
    conditions: list[SegmentCondition] = Field(max_length=50)


class SegmentUpdate(BaseModel):
    """Fields to change on a segment; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    conditions: list[SegmentCondition] | None = Field(None, max_length=50)


class SegmentCountRequest(BaseModel):
    """Conditions to count customers for, without saving a segment."""

    model_config = ConfigDict(extra="forbid", strict=True)

    conditions: list[SegmentCondition] = Field(max_length=50)


class SegmentCountPublic(BaseModel):
    """How many customers (surviving records only) meet the conditions now."""

    customers: int


class SegmentPublic(BaseModel):
    """A saved segment with its live count."""

    id: int
    name: str
    conditions: list[dict[str, Any]]
    customers: int = Field(description="Customers in the segment now (counted on each call).")
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentCustomersPublic(BaseModel):
    """A page of a segment's customers; raise `offset` by `limit` for the next page."""

    segment_id: int
    items: list[CustomerPublic]
    limit: int
    offset: int
