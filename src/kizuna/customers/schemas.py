"""Shapes of customers and interactions in the REST API (XCreate in, XPublic out).

Create shapes stay close to import columns: dates are strings in any format imports accept
(ISO 8601, 2025/4/1, 2025年4月1日, 令和7年4月1日), so the API and files validate the same way
through the ingest room. Unknown fields are refused, so a typo never disappears silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CustomerCreate",
    "CustomerPagePublic",
    "CustomerPublic",
    "InteractionBatch",
    "InteractionCreate",
]


class CustomerCreate(BaseModel):
    """A customer as sent to POST /api/v1/customers; `external_id` is the key in your system."""

    model_config = ConfigDict(extra="forbid")

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

    model_config = ConfigDict(extra="forbid")

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
    amount: float | None = None
    properties: dict[str, Any] | None = None


class InteractionBatch(BaseModel):
    """Interactions to import in one call (at most 5,000)."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(
        None,
        examples=["pos"],
        description="The system these come from, e.g. pos or crm (default: import). Part of "
        "each record's key.",
    )
    records: list[InteractionCreate]
