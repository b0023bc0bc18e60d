"""JSON routes of the voice explorer: voices with their analysis, filtered, and their export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from kizuna.feedback.explorer import VoiceFilter, export_voices, search_voices
from kizuna.feedback.explorer_params import voice_filter, voices_file
from kizuna.web.deps import Caller, SessionDep, api_caller

__all__ = ["router"]

router = APIRouter(tags=["voices"])

Readers = Annotated[Caller, Depends(api_caller("feedback.read"))]
Exporters = Annotated[Caller, Depends(api_caller("exports.run"))]
Filter = Annotated[VoiceFilter, Depends(voice_filter)]


class TopicPublic(BaseModel):
    topic: str
    sentiment: str | None = None
    score: float | None = None


class VoicePublic(BaseModel):
    id: int
    received_at: dt.datetime
    channel: str
    touchpoint: str | None
    source: str
    customer_id: int | None
    customer_ref: str | None
    text: str | None
    nps: int | None
    csat: int | None
    ces: int | None
    rating: float | None
    language: str | None
    sentiment: str | None
    sentiment_score: float | None
    delight: float | None
    expectation: str | None
    emotions: dict[str, float]
    topics: list[TopicPublic]
    experience_values: list[str]
    cues: list[dict[str, Any]]
    engine_version: str | None
    tags: list[str]


class VoicePagePublic(BaseModel):
    items: list[VoicePublic]
    next_cursor: int | None


@router.get("/voices", response_model=VoicePagePublic)
def list_voices(
    caller: Readers,
    session: SessionDep,
    wanted: Filter,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> VoicePagePublic:
    """Voices with their analysis, newest first, filtered by words and by what was found."""
    page = search_voices(session, caller.workspace, wanted, limit=limit, cursor=cursor)
    return VoicePagePublic(
        items=[VoicePublic.model_validate(v, from_attributes=True) for v in page.voices],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/voices/export",
    response_class=Response,
    responses={
        200: {
            "description": "The matching voices with every analysis column.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
def export_matching_voices(
    caller: Exporters,
    session: SessionDep,
    wanted: Filter,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The matching voices (up to 100,000) as CSV for Japanese Excel, or as a workbook."""
    data, _ = export_voices(session, caller.workspace, wanted, format)
    return voices_file(data, format, caller.workspace.slug)
