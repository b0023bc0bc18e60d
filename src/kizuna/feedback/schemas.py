"""Shapes of feedback in the REST API and of a batch's per-row results.

Scores are range-checked by the ingest room, row by row, like a file import: a score of 11
rejects that row with a reason, not the whole call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

__all__ = [
    "Amount",
    "BatchResultPublic",
    "FeedbackBatch",
    "FeedbackCreate",
    "ImportSummaryPublic",
    "RecordedPublic",
    "RowResultPublic",
    "Source",
    "VoiceCreate",
]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


# Fields documented with their type but passed on exactly as sent: the ingest rules check
# them row by row, so a score of `true` or `NaN` rejects that record with its reason; it is
# never coerced to 1 or stored as empty, and never fails the other records of a batch.
Nps = Annotated[Any, WithJsonSchema(_nullable({"type": "integer", "minimum": 0, "maximum": 10}))]
Csat = Annotated[Any, WithJsonSchema(_nullable({"type": "integer", "minimum": 1, "maximum": 5}))]
Ces = Annotated[Any, WithJsonSchema(_nullable({"type": "integer", "minimum": 1, "maximum": 7}))]
Rating = Annotated[Any, WithJsonSchema(_nullable({"type": "number", "minimum": 1, "maximum": 5}))]
Amount = Annotated[Any, WithJsonSchema(_nullable({"type": "number"}))]
# kizuna.feedback.models.SOURCES
Source = Literal[
    "survey", "review", "sns", "ticket", "chat", "interview", "community", "employee", "import"
]


class FeedbackCreate(BaseModel):
    """One voice: a survey answer, review, post, ticket or chat."""

    model_config = ConfigDict(extra="forbid", strict=True)

    external_id: str | None = Field(
        None, max_length=200, description="Your id; when absent, a key is derived from content."
    )
    channel: str | None = Field(None, examples=["web"])
    touchpoint: str | None = None
    customer_ref: str | None = Field(None, description="The customer's external_id.")
    received_at: str = Field(
        description="When it was received; without a zone it is in the workspace's time zone.",
        examples=["2025-04-01T10:30:00+09:00"],
    )
    text: str | None = Field(None, examples=["店員さんの対応がとても丁寧でした。"])
    language: str | None = None
    nps: Nps = Field(None, description="0-10")
    csat: Csat = Field(None, description="1-5")
    ces: Ces = Field(None, description="1-7")
    rating: Rating = Field(None, description="1-5")
    properties: dict[str, Any] | None = None


class RecordedPublic(BaseModel):
    """What happened to one record sent alone: its id and whether it was new."""

    id: int
    status: Literal["inserted", "updated", "unchanged"]
    external_id: str


class VoiceCreate(FeedbackCreate):
    """One voice sent alone, with where it comes from (part of its key)."""

    source: Source | None = Field(
        None, examples=["review"], description="Where it comes from (default: import)."
    )


class FeedbackBatch(BaseModel):
    """Feedback to import in one call (at most 5,000)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: Source | None = Field(
        None,
        examples=["survey"],
        description="Where these voices come from (default: import). Part of each record's key.",
    )
    records: list[FeedbackCreate]


class RowResultPublic(BaseModel):
    """What happened to one record; `line` is its 1-based position in the batch."""

    line: int
    status: Literal["inserted", "updated", "unchanged", "rejected"]
    id: int | None
    external_id: str | None
    reason_code: str | None
    reason: str | None


class ImportSummaryPublic(BaseModel):
    """Counts of a batch: read = inserted + updated + unchanged + rejected."""

    run_id: int
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    line: str


class BatchResultPublic(BaseModel):
    """A batch's summary and one result per record, in the order sent."""

    summary: ImportSummaryPublic
    rows: list[RowResultPublic]
