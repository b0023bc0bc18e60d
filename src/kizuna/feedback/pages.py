"""HTML route of the voice explorer: /w/{slug}/voices, filters in the URL, cues marked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Segment
from kizuna.feedback.explorer import (
    EMOTIONS,
    EXPECTATIONS,
    EXPERIENCE_VALUES,
    SENTIMENTS,
    VoiceFilter,
    highlight,
    search_voices,
)
from kizuna.feedback.explorer_export import export_voices
from kizuna.feedback.explorer_params import voice_filter, voices_file
from kizuna.feedback.tags import list_tags
from kizuna.web.deps import Caller, SessionDep, page_member
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("feedback.read"))]
Exporters = Annotated[Caller, Depends(page_member("exports.run"))]
PAGE = 50


def _segments(session: Session, workspace: Workspace) -> list[tuple[int, str]]:
    """The workspace's segments by name, for the filter (without their counts)."""
    rows = session.execute(
        select(Segment.id, Segment.name)
        .where(Segment.workspace_id == workspace.id)
        .order_by(Segment.name)
    )
    return [(int(i), str(n)) for i, n in rows]


@router.get("/w/{slug}/voices")
def show_voices(
    request: Request,
    member: Readers,
    session: SessionDep,
    wanted: Annotated[VoiceFilter, Depends(voice_filter)],
    cursor: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Voices with what the text engine found in them, newest first, filtered."""
    page = search_voices(session, member.workspace, wanted, limit=PAGE, cursor=cursor)
    context = {
        "member": member,
        "tz": member.workspace.timezone,
        "nav_section": "voices",
        "voices": [(voice, highlight(voice)) for voice in page.voices],
        "next_cursor": page.next_cursor,
        "wanted": wanted,
        "query": wanted.as_query(),
        "choices": {
            "sentiment": SENTIMENTS,
            "expectation": EXPECTATIONS,
            "emotion": EMOTIONS,
            "experience_value": EXPERIENCE_VALUES,
            "topic_sentiment": SENTIMENTS,
        },
        "segments": _segments(session, member.workspace),
        "tags": list_tags(session, member.workspace),
        "can_export": member.may("exports.run"),
        "can_tag": member.may("feedback.tag"),
    }
    # Issue 12: topics named as the workspace renamed or added them (kizuna.topics).
    from kizuna.topics.names import workspace_label
    from kizuna.web.i18n import choose_language

    lang = choose_language(request, request.app.state.kz.settings.language)
    context["label"] = workspace_label(session, member.workspace, lang)
    return render_page(request, "feedback/voices.html", context)


@router.get("/w/{slug}/voices/export")
def export_from_page(
    member: Exporters,
    session: SessionDep,
    wanted: Annotated[VoiceFilter, Depends(voice_filter)],
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The filtered voices as a file, for the page's export links."""
    data, _ = export_voices(session, member.workspace, wanted, format)
    return voices_file(data, format, member.workspace.slug)
