"""Relabelling past voices in the background, and new ones as they are analysed.

A change to the topics starts one run (`start_relabel`, in the change's transaction): a
`topic_relabel` row and one keyed `topics.relabel` job. The run walks every analysis row
of the workspace in id order, a batch per transaction, and rewrites the stored topics
that differ from `taxonomy.relabel(engine's list, text, score, current changes)`:

- progress is on the row (`done` of `total`, `changed`), committed with each batch;
- `cursor` (the last analysis id done) commits with the batch too, so a run whose worker
  died resumes after the last committed batch, and one that finished does nothing;
- the result depends only on the engine's list (kept in `topic_original` before the first
  rewrite) and the current changes, so running it again changes nothing;
- each batch reads the changes afresh, and a newer run supersedes older unfinished ones
  (it covers every voice), so the latest taxonomy wins.

`apply_to_analyzed` subscribes to `voice.analyzed`: voices the text engine (re)analysed get
the workspace's taxonomy in the delivery's transaction, without a hook in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.feedback.events import VoicesAnalyzed, VoicesRelabelled
from kizuna.feedback.models import Feedback, FeedbackAnalysis, analysis_scope
from kizuna.jobs.events import raise_event
from kizuna.jobs.queue import enqueue
from kizuna.topics.jobs import RelabelTopics
from kizuna.topics.models import TopicOriginal, TopicRelabel
from kizuna.topics.service import load_taxonomy
from kizuna.topics.taxonomy import Taxonomy, relabel

__all__ = [
    "BATCH",
    "apply_to_analyzed",
    "latest_relabel",
    "rewrite_topics",
    "run_relabel",
    "start_relabel",
]

BATCH = 1000
UNFINISHED = ("queued", "running")


def start_relabel(
    session: Session, workspace_id: int, change_id: int | None, reason: str
) -> TopicRelabel:
    """A new run over every voice (older unfinished runs are superseded) and its job."""
    session.execute(
        update(TopicRelabel)
        .where(TopicRelabel.workspace_id == workspace_id, TopicRelabel.state.in_(UNFINISHED))
        .values(state="superseded", finished_at=utcnow())
    )
    run = TopicRelabel(workspace_id=workspace_id, change_id=change_id, reason=reason)
    session.add(run)
    session.flush()
    enqueue(
        session,
        RelabelTopics(relabel_id=run.id),
        workspace_id=workspace_id,
        key=f"topics.relabel:{run.id}",
    )
    return run


def latest_relabel(session: Session, workspace_id: int) -> TopicRelabel | None:
    return session.scalar(
        select(TopicRelabel)
        .where(TopicRelabel.workspace_id == workspace_id)
        .order_by(TopicRelabel.id.desc())
        .limit(1)
    )


def _rows(workspace_id: int, *, by_ids: bool = False) -> Any:
    """Analyses of the workspace with their texts; `by_ids` when the caller narrows them to
    some voices (`feedback_id IN ...`): then the voices' index is read, not the workspace's."""
    scope = (
        analysis_scope(workspace_id) if by_ids else FeedbackAnalysis.workspace_id == workspace_id
    )
    return (
        select(
            FeedbackAnalysis.id,
            FeedbackAnalysis.topics,
            FeedbackAnalysis.sentiment_score,
            Feedback.text,
            TopicOriginal.topics,
        )
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .outerjoin(TopicOriginal, TopicOriginal.analysis_id == FeedbackAnalysis.id)
        .where(scope)
    )


def rewrite_topics(
    session: Session, workspace_id: int, rows: Sequence[Any], taxonomy: Taxonomy
) -> int:
    """Store the taxonomy's topics of these (analysis id, stored, score, text, original)
    rows where they differ; the engine's list is kept first. Returns how many changed."""
    originals: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for analysis_id, stored, score, text, original in rows:
        engine_topics = original if original is not None else (stored or [])
        wanted = relabel(engine_topics, text, score, taxonomy)
        if wanted == list(stored or []):
            continue
        if original is None:
            originals.append(
                {
                    "workspace_id": workspace_id,
                    "analysis_id": analysis_id,
                    "topics": list(stored or []),
                }
            )
        updates.append({"id": analysis_id, "topics": wanted})
    if originals:
        session.execute(insert(TopicOriginal), originals)
    if updates:
        session.execute(update(FeedbackAnalysis), updates)
        changed = session.scalars(
            select(FeedbackAnalysis.feedback_id)
            .where(
                analysis_scope(workspace_id),
                FeedbackAnalysis.id.in_([u["id"] for u in updates]),
            )
            .distinct()
        ).all()
        # The dashboard's rollups count topics: they count these voices' days again.
        raise_event(
            session, VoicesRelabelled(workspace_id=workspace_id, feedback_ids=sorted(changed))
        )
    return len(updates)


def _one_batch(kz: Kizuna, relabel_id: int, batch: int) -> bool:
    """One batch in one transaction; False when the run is over (done or superseded)."""
    with kz.session() as session:
        run = session.scalar(
            select(TopicRelabel).where(TopicRelabel.id == relabel_id).with_for_update()
        )
        if run is None or run.state not in UNFINISHED:
            return False
        workspace_id = run.workspace_id
        if run.total is None:
            run.total = (
                session.scalar(
                    select(func.count())
                    .select_from(FeedbackAnalysis)
                    .where(FeedbackAnalysis.workspace_id == workspace_id)
                )
                or 0
            )
            run.state = "running"
            run.started_at = utcnow()
        taxonomy = load_taxonomy(session, workspace_id)
        rows = session.execute(
            _rows(workspace_id)
            .where(FeedbackAnalysis.id > run.cursor)
            .order_by(FeedbackAnalysis.id)
            .limit(batch)
        ).all()
        run.changed += rewrite_topics(session, workspace_id, rows, taxonomy)
        run.done += len(rows)
        if rows:
            run.cursor = int(rows[-1][0])
        if len(rows) < batch:
            run.state = "done"
            run.finished_at = utcnow()
            run.total = max(run.total or 0, run.done)
            return False
        return True


def run_relabel(
    kz: Kizuna, relabel_id: int, *, batch: int = BATCH, batches: int | None = None
) -> TopicRelabel | None:
    """Run (or resume) a relabel run to its end, or for at most `batches` batches."""
    ran = 0
    while (batches is None or ran < batches) and _one_batch(kz, relabel_id, batch):
        ran += 1
    with kz.session() as session:
        run = session.get(TopicRelabel, relabel_id)
        if run is not None:
            session.expunge(run)
        return run


def apply_to_analyzed(kz: Kizuna, session: Session, event: VoicesAnalyzed) -> None:
    """Subscriber of `voice.analyzed`: the newly analysed voices get the workspace's topics."""
    taxonomy = load_taxonomy(session, event.workspace_id)
    if not taxonomy.rewrites:
        return
    for start in range(0, len(event.feedback_ids), BATCH):
        chunk = event.feedback_ids[start : start + BATCH]
        rows = session.execute(
            _rows(event.workspace_id, by_ids=True).where(FeedbackAnalysis.feedback_id.in_(chunk))
        ).all()
        rewrite_topics(session, event.workspace_id, rows, taxonomy)
