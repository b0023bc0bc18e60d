"""HTML routes of voice tags: the voice explorer's tag and untag buttons, and the bulk change
of every voice of the current filter (counted, then confirmed, then done or queued).

The filter travels in the form's address, as on the explorer itself; every form carries the
session's CSRF token. Analysts and above (`feedback.tag`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.feedback.explorer_filter import VoiceFilter
from kizuna.feedback.explorer_params import voice_filter
from kizuna.feedback.tags import (
    INLINE_BULK,
    MAX_BULK,
    add_tag,
    bulk_tag,
    count_matching,
    remove_tag,
)
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Taggers = Annotated[Caller, Depends(page_member("feedback.tag"))]
Filter = Annotated[VoiceFilter, Depends(voice_filter)]
VoiceId = Annotated[int, Path(ge=1, le=2**62)]
TagField = Annotated[str, Form(min_length=1, max_length=40)]


def _back(member: Caller, wanted: VoiceFilter, voice_id: int | None = None) -> Response:
    query = urlencode(wanted.as_query())
    anchor = f"#voice-{voice_id}" if voice_id else ""
    address = f"/w/{member.workspace.slug}/voices" + (f"?{query}" if query else "") + anchor
    return RedirectResponse(address, status_code=303)


@router.post("/w/{slug}/voices/{voice_id}/tags")
def tag_from_page(
    member: Taggers,
    session: SessionDep,
    _csrf: CsrfChecked,
    wanted: Filter,
    voice_id: VoiceId,
    tag: TagField,
) -> Response:
    """Put a tag on one voice, back to the same filter."""
    add_tag(session, member.workspace, voice_id, tag, actor=member.actor)
    return _back(member, wanted, voice_id)


@router.post("/w/{slug}/voices/{voice_id}/tags/remove")
def untag_from_page(
    member: Taggers,
    session: SessionDep,
    _csrf: CsrfChecked,
    wanted: Filter,
    voice_id: VoiceId,
    tag: TagField,
) -> Response:
    """Take a tag off one voice, back to the same filter."""
    remove_tag(session, member.workspace, voice_id, tag, actor=member.actor)
    return _back(member, wanted, voice_id)


@router.post("/w/{slug}/voices/tags/bulk")
def bulk_from_page(
    request: Request,
    member: Taggers,
    session: SessionDep,
    _csrf: CsrfChecked,
    wanted: Filter,
    tag: TagField,
    action: Annotated[str, Form(pattern="^(add|remove)$")] = "add",
    expected: Annotated[int | None, Form(ge=0, le=MAX_BULK)] = None,
) -> Response:
    """First the count to confirm, then (with `expected`) the change, or its job."""
    context = {
        "member": member,
        "nav_section": "voices",
        "tag": tag.strip(),
        "action": action,
        "query": wanted.as_query(),
        "inline_limit": INLINE_BULK,
    }
    if expected is None:
        context["matched"] = count_matching(session, member.workspace, wanted)
        return render_page(request, "feedback/voices_bulk.html", context)
    done = bulk_tag(
        session,
        member.workspace,
        wanted,
        tag,
        "remove" if action == "remove" else "add",
        expected=expected,
        actor=member.actor,
    )
    context.update(matched=done.matched, done=done)
    return render_page(request, "feedback/voices_bulk.html", context)
