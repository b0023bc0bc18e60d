"""JSON routes of voice tags: list them, tag one voice, untag it, tag every voice of a filter.

Viewers read tags (they come with every voice of `/api/v1/voices`); analysts and above change
them (`feedback.tag`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kizuna.feedback.explorer_filter import VoiceFilter
from kizuna.feedback.explorer_params import voice_filter
from kizuna.feedback.tags import INLINE_BULK, MAX_BULK, add_tag, bulk_tag, list_tags, remove_tag
from kizuna.web.deps import Caller, SessionDep, api_caller

__all__ = ["TAG_PATTERN", "router"]

router = APIRouter(tags=["voices"])

Readers = Annotated[Caller, Depends(api_caller("feedback.read"))]
Taggers = Annotated[Caller, Depends(api_caller("feedback.tag"))]
Filter = Annotated[VoiceFilter, Depends(voice_filter)]
VoiceId = Annotated[int, Path(ge=1, le=2**62)]
# Something besides spaces, and no control characters (what `tags.tag_name` accepts).
TAG_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
TagText = Annotated[str, Field(min_length=1, max_length=40, pattern=TAG_PATTERN)]


class TagPublic(BaseModel):
    name: str
    voices: int


class TagIn(BaseModel):
    tag: TagText


class VoiceTagsPublic(BaseModel):
    voice_id: int
    tags: list[str]


class BulkTagIn(BaseModel):
    tag: TagText
    action: Literal["add", "remove"] = "add"
    expected: int = Field(
        ge=0,
        le=MAX_BULK,
        description="How many voices the filter matched when the person confirmed; another "
        "number now answers 409 with the current count.",
    )


class BulkTagPublic(BaseModel):
    matched: int
    changed: int | None = None
    job_id: int | None = None


@router.get("/voices/tags", response_model=list[TagPublic])
def list_voice_tags(caller: Readers, session: SessionDep) -> list[TagPublic]:
    """Every tag of the workspace with how many voices carry it."""
    return [TagPublic(name=n, voices=c) for n, c in list_tags(session, caller.workspace)]


@router.post("/voices/{voice_id}/tags", response_model=VoiceTagsPublic)
def tag_voice(
    caller: Taggers, session: SessionDep, voice_id: VoiceId, body: TagIn
) -> VoiceTagsPublic:
    """Put a tag on one voice (made on first use); a repeat changes nothing."""
    tags = add_tag(session, caller.workspace, voice_id, body.tag, actor=caller.actor)
    return VoiceTagsPublic(voice_id=voice_id, tags=tags)


@router.delete("/voices/{voice_id}/tags/{tag}", response_model=VoiceTagsPublic)
def untag_voice(
    caller: Taggers,
    session: SessionDep,
    voice_id: VoiceId,
    tag: Annotated[str, Path(min_length=1, max_length=40, pattern=TAG_PATTERN)],
) -> VoiceTagsPublic:
    """Take a tag off one voice; a tag it does not carry changes nothing."""
    tags = remove_tag(session, caller.workspace, voice_id, tag, actor=caller.actor)
    return VoiceTagsPublic(voice_id=voice_id, tags=tags)


@router.post(
    "/voices/tags/bulk",
    response_model=BulkTagPublic,
    responses={
        202: {"model": BulkTagPublic, "description": f"More than {INLINE_BULK:,}: queued."},
        409: {"description": "The filter matches another number of voices than expected."},
    },
)
def tag_matching_voices(
    caller: Taggers, session: SessionDep, wanted: Filter, body: BulkTagIn
) -> BulkTagPublic | JSONResponse:
    """Tag or untag every voice of the filter (at most 100,000), confirmed by their number."""
    done = bulk_tag(
        session,
        caller.workspace,
        wanted,
        body.tag,
        body.action,
        expected=body.expected,
        actor=caller.actor,
    )
    answer = BulkTagPublic(matched=done.matched, changed=done.changed, job_id=done.job_id)
    if done.job_id is not None:
        return JSONResponse(answer.model_dump(), status_code=202)
    return answer
