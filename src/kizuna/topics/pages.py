"""HTML routes of the topics room: /w/{slug}/topics with counts, polarity and links to the
explorer; forms to add, rename, merge, split and hide topics, to accept or dismiss what
discovery proposed, and to undo a change; the relabelling's progress.

Reading needs topics.read, every form topics.manage and the CSRF token. A form answers
with a redirect to the page (an error shown on it in the reader's language).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from kizuna.errors import KizunaError
from kizuna.jobs.queue import enqueue
from kizuna.topics.counts import recent_since, topic_rows
from kizuna.topics.describe import describe_change
from kizuna.topics.jobs import DiscoverTopics
from kizuna.topics.models import TopicRelabel
from kizuna.topics.names import workspace_label
from kizuna.topics.proposals import accept_proposal, dismiss_proposal, list_proposals
from kizuna.topics.relabel import latest_relabel
from kizuna.topics.service import (
    SplitPart,
    add_custom_topic,
    hide_topic,
    list_changes,
    load_taxonomy,
    merge_topics,
    rename_topic,
    split_topic,
    undo_change,
)
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Readers = Annotated[Caller, Depends(page_member("topics.read"))]
Managers = Annotated[Caller, Depends(page_member("topics.manage"))]
Text = Annotated[str, Form(max_length=100)]
Words = Annotated[str, Form(max_length=2000)]
Key = Annotated[str, Form(max_length=64)]


def _lang(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def _back(member: Caller, **query: str | int) -> Response:
    target = f"/w/{member.workspace.slug}/topics"
    if query:
        target += "?" + urlencode(query)
    return RedirectResponse(target, status_code=303)


def _words(text: str) -> list[str]:
    """Keywords typed one per line or separated by commas (、 and , both)."""
    for mark in ("、", ",", "，"):
        text = text.replace(mark, "\n")
    return [w.strip() for w in text.splitlines() if w.strip()]


@router.get("/w/{slug}/topics")
def show_topics(
    request: Request,
    member: Readers,
    session: SessionDep,
    done: Annotated[int, Query(ge=0, le=1)] = 0,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The workspace's topics with counts, proposals, changes and relabelling progress."""
    lang = _lang(request)
    ws = member.workspace
    taxonomy = load_taxonomy(session, ws)
    changes = list_changes(session, ws)
    runs = {
        r.change_id: r
        for r in session.scalars(
            select(TopicRelabel).where(TopicRelabel.workspace_id == ws.id).order_by(TopicRelabel.id)
        )
    }
    base = f"/w/{ws.slug}"
    context: dict[str, Any] = {
        "member": member,
        "nav_section": "topics",
        "tz": ws.timezone,
        "rows": topic_rows(session, ws),
        "since": recent_since(ws).isoformat(),
        "proposals": list_proposals(session, ws),
        "changes": [(c, describe_change(c, taxonomy, lang), runs.get(c.id)) for c in changes],
        "relabel": latest_relabel(session, ws.id),
        "may_manage": member.may("topics.manage"),
        "base": f"{base}/topics",
        "voices": f"{base}/voices",
        "done": bool(done),
        "error": error,
        "label": workspace_label(session, ws, lang),
    }
    return render_page(request, "topics/topics.html", context)


def _run(request: Request, member: Caller, action: Any) -> Response:
    try:
        action()
    except KizunaError as exc:
        return _back(member, error=exc.message(_lang(request)))
    return _back(member, done=1)


@router.post("/w/{slug}/topics/custom")
def add_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    key: Key = "",
    name_ja: Text = "",
    name_en: Text = "",
    keywords: Words = "",
) -> Response:
    """Add a topic of the workspace's own; past voices holding its words get it."""
    return _run(
        request,
        member,
        lambda: add_custom_topic(
            session,
            member.workspace,
            key.strip(),
            name_ja,
            name_en,
            _words(keywords),
            actor=member.actor,
        ),
    )


@router.post("/w/{slug}/topics/merge")
def merge_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    sources: Annotated[list[str] | None, Form()] = None,
    target: Key = "",
    new_key: Key = "",
    name_ja: Text = "",
    name_en: Text = "",
) -> Response:
    """Merge topics into another one (an existing one, or a new key)."""
    return _run(
        request,
        member,
        lambda: merge_topics(
            session,
            member.workspace,
            (sources or [])[:20],
            (target or new_key).strip(),
            name_ja=name_ja,
            name_en=name_en,
            actor=member.actor,
        ),
    )


@router.post("/w/{slug}/topics/split")
def split_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    source: Key = "",
    key_1: Key = "",
    name_ja_1: Text = "",
    name_en_1: Text = "",
    keywords_1: Words = "",
    key_2: Key = "",
    name_ja_2: Text = "",
    name_en_2: Text = "",
    keywords_2: Words = "",
) -> Response:
    """Split a topic in two by keywords; its voices holding neither keep it."""
    parts = [
        SplitPart(key_1.strip(), name_ja_1, name_en_1, tuple(_words(keywords_1))),
        SplitPart(key_2.strip(), name_ja_2, name_en_2, tuple(_words(keywords_2))),
    ]
    return _run(
        request,
        member,
        lambda: split_topic(session, member.workspace, source, parts, actor=member.actor),
    )


@router.post("/w/{slug}/topics/discover")
def discover_from_form(member: Managers, session: SessionDep, _csrf: CsrfChecked) -> Response:
    """Queue a discovery of new topics over the recent voices."""
    enqueue(session, DiscoverTopics(), workspace_id=member.workspace.id)
    return _back(member, done=1)


@router.post("/w/{slug}/topics/proposals/{proposal_id}/accept")
def accept_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    proposal_id: int,
    key: Key = "",
    name_ja: Text = "",
    name_en: Text = "",
    keywords: Words = "",
) -> Response:
    """Make a proposal a topic (names and keywords as edited)."""
    return _run(
        request,
        member,
        lambda: accept_proposal(
            session,
            member.workspace,
            proposal_id,
            key=key.strip() or None,
            name_ja=name_ja,
            name_en=name_en,
            keywords=_words(keywords) or None,
            actor=member.actor,
        ),
    )


@router.post("/w/{slug}/topics/proposals/{proposal_id}/dismiss")
def dismiss_from_form(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked, proposal_id: int
) -> Response:
    """Set a proposal aside."""
    return _run(
        request,
        member,
        lambda: dismiss_proposal(session, member.workspace, proposal_id, actor=member.actor),
    )


@router.post("/w/{slug}/topics/changes/{change_id}/undo")
def undo_from_form(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked, change_id: int
) -> Response:
    """Take a change back; past voices are relabelled without it."""
    return _run(
        request,
        member,
        lambda: undo_change(session, member.workspace, change_id, actor=member.actor),
    )


@router.post("/w/{slug}/topics/{key}/rename")
def rename_from_form(
    request: Request,
    member: Managers,
    session: SessionDep,
    _csrf: CsrfChecked,
    key: str,
    name_ja: Text = "",
    name_en: Text = "",
) -> Response:
    """Give a topic new names (voices keep it: names are looked up by key)."""
    return _run(
        request,
        member,
        lambda: rename_topic(session, member.workspace, key, name_ja, name_en, actor=member.actor),
    )


@router.post("/w/{slug}/topics/{key}/hide")
def hide_from_form(
    request: Request, member: Managers, session: SessionDep, _csrf: CsrfChecked, key: str
) -> Response:
    """Hide a topic: it leaves every voice and list (undo brings it back)."""
    return _run(
        request, member, lambda: hide_topic(session, member.workspace, key, actor=member.actor)
    )
