"""Topics discovery proposes, and what an analyst does with them.

`discover_proposals` runs the text engine's `discover_topics` over the workspace's recent
voices (their stored analyses: no voice is analysed again), and replaces the open
proposals with what it found, with sample comments and counts. A phrase the team already
accepted or dismissed is not proposed again. `accept_proposal` turns one into a custom
topic (names and keywords editable; past voices are relabelled in the background);
`dismiss_proposal` sets it aside.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, NotFound
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.topics.models import TopicProposal
from kizuna.topics.service import add_custom_topic, load_taxonomy

__all__ = [
    "MAX_VOICES",
    "accept_proposal",
    "discover_proposals",
    "dismiss_proposal",
    "get_proposal",
    "list_proposals",
]

MAX_VOICES = 20_000  # the newest voices of the period read by one discovery
N_TOPICS = 12


def _recent(session: Session, workspace: Workspace, days: int) -> list[tuple[str, list[Any], str]]:
    """(text, stored topics, language) of the newest analysed voices of the last `days`."""
    since = utcnow().date() - dt.timedelta(days=days)
    latest = (
        select(func.max(FeedbackAnalysis.id).label("id"))
        .where(FeedbackAnalysis.workspace_id == workspace.id)
        .group_by(FeedbackAnalysis.feedback_id)
        .subquery()
    )
    rows = session.execute(
        select(Feedback.text, FeedbackAnalysis.topics, FeedbackAnalysis.language)
        .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
        .join(latest, latest.c.id == FeedbackAnalysis.id)
        .where(
            Feedback.workspace_id == workspace.id,
            Feedback.received_on >= since,
            Feedback.text.is_not(None),
            Feedback.source != "employee",
        )
        .order_by(Feedback.id.desc())
        .limit(MAX_VOICES)
    ).all()
    return [(str(t), list(tp or []), str(lang or "")) for t, tp, lang in rows if str(t).strip()]


def discover_proposals(
    session: Session,
    workspace: Workspace,
    *,
    days: int = 90,
    min_count: int = 3,
    actor: str = "system",
) -> list[TopicProposal]:
    """Replace the open proposals with topics discovered in the last `days` of voices."""
    import pandas as pd

    from kizuna.analytics.text.discover import discover_topics

    voices = _recent(session, workspace, days)
    decided = set(
        session.scalars(
            select(TopicProposal.phrase).where(
                TopicProposal.workspace_id == workspace.id, TopicProposal.state != "proposed"
            )
        )
    )
    taxonomy = load_taxonomy(session, workspace)
    known = {
        w.lower() for t in taxonomy.topics.values() if t.origin == "custom" for w in t.keywords
    }
    session.execute(
        delete(TopicProposal).where(
            TopicProposal.workspace_id == workspace.id, TopicProposal.state == "proposed"
        )
    )
    found = pd.DataFrame()
    if voices:
        analyzed = pd.DataFrame(
            {"topics": [v[1] for v in voices], "language": [v[2] for v in voices]}
        )
        found = discover_topics(
            [v[0] for v in voices], analyzed, n_topics=N_TOPICS, min_count=min_count
        )
    proposals = []
    for row in found.to_dict("records") if not found.empty else []:
        phrase = str(row["phrase"])
        if phrase in decided or phrase.lower() in known:
            continue
        proposal = TopicProposal(
            workspace_id=workspace.id,
            phrase=phrase[:200],
            language=str(row["language"]),
            count=int(row["count"]),
            share=float(row["share"]),
            score=float(row["score"]),
            samples=[str(s) for s in row["samples"]],
        )
        session.add(proposal)
        proposals.append(proposal)
    session.flush()
    record_audit(
        session, workspace, actor, "topics.discover", voices=len(voices), proposed=len(proposals)
    )
    return proposals


def list_proposals(
    session: Session, workspace: Workspace, state: str | None = "proposed"
) -> list[TopicProposal]:
    """Proposals (open ones by default), most voices first."""
    query = select(TopicProposal).where(TopicProposal.workspace_id == workspace.id)
    if state is not None:
        query = query.where(TopicProposal.state == state)
    return list(session.scalars(query.order_by(TopicProposal.count.desc(), TopicProposal.id)))


def get_proposal(session: Session, workspace: Workspace, proposal_id: int) -> TopicProposal:
    found = session.scalar(
        select(TopicProposal).where(
            TopicProposal.workspace_id == workspace.id, TopicProposal.id == proposal_id
        )
    )
    if found is None:
        raise NotFound(
            f"No topic proposal #{proposal_id} in this workspace; list them with "
            "GET /api/v1/topics/proposals.",
            f"このワークスペースにトピック候補 #{proposal_id} はありません。"
            "GET /api/v1/topics/proposals で一覧を確認してください。",
            proposal=proposal_id,
        )
    return found


def _open(session: Session, workspace: Workspace, proposal_id: int) -> TopicProposal:
    proposal = get_proposal(session, workspace, proposal_id)
    if proposal.state != "proposed":
        raise Conflict(
            f"Topic proposal #{proposal_id} is {proposal.state} already.",
            f"トピック候補 #{proposal_id} は既に処理済みです。",
            proposal=proposal_id,
            state=proposal.state,
        )
    return proposal


def default_key(phrase: str, proposal_id: int, taken: set[str]) -> str:
    """A key for a proposal's topic: its English words in snake case, or topic_<id>."""
    words = re.findall(r"[a-z0-9]+", phrase.lower()) if phrase.isascii() else []
    key = "_".join(words)[:48] if words and words[0][0].isalpha() else f"topic_{proposal_id}"
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate


def accept_proposal(
    session: Session,
    workspace: Workspace,
    proposal_id: int,
    *,
    key: str | None = None,
    name_ja: str | None = None,
    name_en: str | None = None,
    keywords: Sequence[str] | None = None,
    actor: str = "system",
) -> TopicProposal:
    """The proposal becomes a custom topic (its phrase as name and keyword unless edited)."""
    proposal = _open(session, workspace, proposal_id)
    taken = set(load_taxonomy(session, workspace).topics)
    change = add_custom_topic(
        session,
        workspace,
        key or default_key(proposal.phrase, proposal.id, taken),
        (name_ja or "").strip() or proposal.phrase,
        (name_en or "").strip() or proposal.phrase,
        list(keywords) if keywords else [proposal.phrase],
        actor=actor,
    )
    proposal.state = "accepted"
    proposal.change_id = change.id
    proposal.decided_at = utcnow()
    proposal.decided_by = actor
    session.flush()
    return proposal


def dismiss_proposal(
    session: Session, workspace: Workspace, proposal_id: int, *, actor: str = "system"
) -> TopicProposal:
    """Set the proposal aside; discovery will not propose its phrase again."""
    proposal = _open(session, workspace, proposal_id)
    proposal.state = "dismissed"
    proposal.decided_at = utcnow()
    proposal.decided_by = actor
    session.flush()
    record_audit(session, workspace, actor, "topics.dismiss", f"topic_proposal:{proposal.id}")
    return proposal
