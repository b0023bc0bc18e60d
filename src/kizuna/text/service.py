"""The text engine wired into the platform: analyse stored feedback, train per workspace.

Every analysis row names the engine version it came from: the built-in engine
(`kizuna-text-x`), the built-in engine with a workspace's trained polarity model
(`kizuna-text-x+ws<id>-m<n>`), or with the accurate tier's packaged model
(`kizuna-text-x+accurate-1`, when KIZUNA_TEXT_TIER=accurate and no workspace model is
in use). A trained model is used for its workspace only, and only
on two pieces of evidence: its cross-validated macro-F1 beat the built-in engine's on the
scored comments it learned from, AND it beat the built-in engine on sentences the
workspace labelled one by one (positive, neutral, negative). A customer's overall score
is not each sentence's polarity: a model that learned scores can call a plain sentence
negative because its writer gave a low score, and only sentence labels show that.
Without them a model is trained and stored, never adopted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, cast

import numpy as np
from sklearn.metrics import f1_score
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, defer

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import AuditEvent, Workspace
from kizuna.analytics.text.accurate import accurate_analyzer, accurate_version
from kizuna.analytics.text.analyzer import Analyzer
from kizuna.analytics.text.classifier import (
    PolarityClassifier,
    cross_validate_macro_f1,
    weak_labels,
)
from kizuna.analytics.text.engine import ENGINE_VERSION
from kizuna.app import Kizuna
from kizuna.errors import InvalidInput
from kizuna.feedback.events import VoicesAnalyzed, VoicesRecorded
from kizuna.feedback.models import Feedback, FeedbackAnalysis, analysis_scope
from kizuna.jobs.events import raise_event
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, enqueue, job_handler
from kizuna.text.models import TextModel

__all__ = [
    "AnalyzeFeedback",
    "TrainingReport",
    "active_engine",
    "analyze_feedback",
    "analyze_feedback_in",
    "analyze_recorded_voices",
    "enqueue_analysis",
    "list_models",
    "reanalyze_workspace",
    "switch_off_model",
    "train_workspace_model",
    "training_evidence",
]

JOB_CHUNK = 2000


class AnalyzeFeedback(JobPayload):
    """Analyse these voices of the job's workspace with its current engine."""

    kind: ClassVar[str] = "text.analyze"
    feedback_ids: list[int]
    reanalysis: bool = False


MIN_TRAINING_TEXTS = 40
#: Sentence-level labels needed before a trained model can be adopted, and their classes.
MIN_EVIDENCE_SENTENCES = 30
SENTENCE_LABELS = ("negative", "neutral", "positive")
_ANALYSIS_COLUMNS = (
    "language",
    "sentiment",
    "sentiment_score",
    "delight",
    "expectation",
    "emotions",
    "topics",
    "experience_values",
    "cues",
    "truncated",
)


@lru_cache(maxsize=1)
def _builtin() -> Analyzer:
    return Analyzer()


@lru_cache(maxsize=16)
def _trained(model_id: int, blob: bytes) -> Analyzer:
    return Analyzer(classifier=PolarityClassifier.from_bytes(blob))


def active_engine(
    session: Session, workspace_id: int, tier: str = "fast", model_path: str = ""
) -> tuple[Analyzer, str]:
    """The analyzer this workspace uses now, and the version name stored with its results:
    its adopted model, else the accurate tier when `tier` (KIZUNA_TEXT_TIER) asks for it
    (the packaged model, or `model_path`: KIZUNA_TEXT_ACCURATE_MODEL), else the built-in
    engine."""
    model = session.scalar(
        select(TextModel).where(TextModel.workspace_id == workspace_id, TextModel.active.is_(True))
    )
    if model is not None:
        return _trained(model.id, model.blob), f"{ENGINE_VERSION}+{model.version}"
    if tier == "accurate":
        path = model_path or None
        return accurate_analyzer(path), f"{ENGINE_VERSION}+{accurate_version(path)}"
    return _builtin(), ENGINE_VERSION


def enqueue_analysis(
    session: Session, workspace_id: int, feedback_ids: Sequence[int], *, reanalysis: bool = False
) -> list[Job]:
    """Queue background analysis of these feedback rows, in the caller's transaction."""
    ids = list(feedback_ids)
    return [
        enqueue(
            session,
            AnalyzeFeedback(feedback_ids=ids[i : i + JOB_CHUNK], reanalysis=reanalysis),
            workspace_id=workspace_id,
        )
        for i in range(0, len(ids), JOB_CHUNK)
    ]


def analyze_feedback(
    kz: Kizuna, workspace_id: int, feedback_ids: Iterable[int], *, reanalysis: bool = False
) -> int:
    """Analyse the given feedback of one workspace and store the results; returns rows stored."""
    with kz.session() as session:
        return analyze_feedback_in(
            session,
            workspace_id,
            feedback_ids,
            reanalysis=reanalysis,
            tier=kz.settings.text_tier,
            model_path=kz.settings.text_accurate_model,
        )


def analyze_feedback_in(
    session: Session,
    workspace_id: int,
    feedback_ids: Iterable[int],
    *,
    reanalysis: bool = False,
    tier: str = "fast",
    model_path: str = "",
) -> int:
    """`analyze_feedback` in the caller's transaction; raises `VoicesAnalyzed` with the rows."""
    ids = list(feedback_ids)
    if not ids:
        return 0
    analyzer, version = active_engine(session, workspace_id, tier, model_path)
    rows = session.execute(
        select(Feedback.id, Feedback.text).where(
            Feedback.workspace_id == workspace_id, Feedback.id.in_(ids)
        )
    ).all()
    if not rows:
        return 0
    frame = analyzer.analyze([text or "" for _, text in rows])
    found = [fid for fid, _ in rows]
    session.execute(
        delete(FeedbackAnalysis).where(
            analysis_scope(workspace_id),
            FeedbackAnalysis.feedback_id.in_(found),
            FeedbackAnalysis.engine_version == version,
        )
    )
    records = cast(list[dict[str, Any]], frame.loc[:, list(_ANALYSIS_COLUMNS)].to_dict("records"))
    session.execute(
        insert(FeedbackAnalysis),
        [
            {
                **_clean(record),
                "workspace_id": workspace_id,
                "feedback_id": fid,
                "engine_version": version,
            }
            for fid, record in zip(found, records, strict=True)
        ],
    )
    languages = {fid: r["language"] for fid, r in zip(found, records, strict=True)}
    for language in set(languages.values()):
        session.execute(
            update(Feedback)
            .where(
                Feedback.workspace_id == workspace_id,
                Feedback.id.in_([f for f, lang in languages.items() if lang == language]),
                Feedback.language.is_(None),
            )
            .values(language=language)
        )
    event = VoicesAnalyzed(
        workspace_id=workspace_id,
        feedback_ids=found,
        engine_version=version,
        reanalysis=reanalysis,
    )
    raise_event(session, event)
    return len(found)


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in ("sentiment_score", "delight"):
        value = out[key]
        out[key] = None if value is None or value != value else float(value)
    out["truncated"] = bool(out["truncated"])
    out["emotions"] = {k: float(v) for k, v in (out["emotions"] or {}).items()}
    out["experience_values"] = list(out["experience_values"] or [])
    return out


@job_handler(AnalyzeFeedback)
def run_analysis_job(kz: Kizuna, job: Job, payload: AnalyzeFeedback) -> None:
    assert job.workspace_id is not None
    analyze_feedback(kz, job.workspace_id, payload.feedback_ids, reanalysis=payload.reanalysis)


def analyze_recorded_voices(kz: Kizuna, session: Session, event: VoicesRecorded) -> None:
    """Subscriber of `voice.recorded`: analyse the new voices in the delivery's transaction."""
    for start in range(0, len(event.feedback_ids), JOB_CHUNK):
        chunk = event.feedback_ids[start : start + JOB_CHUNK]
        analyze_feedback_in(
            session,
            event.workspace_id,
            chunk,
            tier=kz.settings.text_tier,
            model_path=kz.settings.text_accurate_model,
        )


def reanalyze_workspace(
    kz: Kizuna,
    workspace: Workspace,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    actor: str = "system",
) -> int:
    """Analyse every feedback of the workspace again with its current engine; audited."""
    with kz.session() as session:
        ids = list(
            session.scalars(
                select(Feedback.id)
                .where(Feedback.workspace_id == workspace.id)
                .order_by(Feedback.id)
            )
        )
    done = 0
    for start in range(0, len(ids), batch):
        done += analyze_feedback(kz, workspace.id, ids[start : start + batch], reanalysis=True)
        if progress is not None:
            progress(done, len(ids))
    with kz.session() as session:
        record_audit(session, workspace.id, actor, "text.reanalyze", analysed=done)
    return done


@dataclass(frozen=True)
class TrainingReport:
    """What `kizuna text train` found: both engines' macro-F1 on the same labelled texts
    (the scored comments, by cross-validation) and on the workspace's labelled sentences,
    whether the model was adopted and why."""

    n_texts: int
    labels: dict[str, int]
    baseline_macro_f1: float
    macro_f1: float
    macro_f1_std: float
    version: str
    adopted: bool
    sentence_texts: int = 0
    sentence_macro_f1: float | None = None
    sentence_baseline_macro_f1: float | None = None
    reason: str = ""


def train_workspace_model(
    kz: Kizuna,
    workspace: Workspace,
    folds: int = 5,
    seed: int = 0,
    actor: str = "system",
    sentences: Sequence[tuple[str, str]] | None = None,
) -> TrainingReport:
    """Train a polarity model on the workspace's scored feedback (NPS/CSAT/rating as weak
    labels); adopt it only when it also beats the built-in engine on `sentences`, the
    workspace's own (sentence, label) pairs (see the module docstring)."""
    evidence = _check_sentences(sentences)
    with kz.session() as session:
        rows = session.execute(
            select(Feedback.text, Feedback.nps, Feedback.csat, Feedback.rating).where(
                Feedback.workspace_id == workspace.id,
                Feedback.text.is_not(None),
                Feedback.source != "employee",
            )
        ).all()
    texts = [r.text for r in rows]
    labels = weak_labels([r.nps for r in rows], [r.csat for r in rows], [r.rating for r in rows])
    keep = [i for i, label in enumerate(labels) if label is not None and str(texts[i]).strip()]
    texts = [texts[i] for i in keep]
    y = [str(labels.iloc[i]) for i in keep]
    counts = {label: y.count(label) for label in sorted(set(y))}
    if len(counts) < 2 or min(counts.values()) < folds or len(y) < MIN_TRAINING_TEXTS:
        raise InvalidInput(
            f"Not enough scored comments to train: {counts or 'none'}. Import feedback with NPS, CSAT "
            f"or ratings and comments (at least {MIN_TRAINING_TEXTS}, both positive and negative).",
            f"学習に使えるスコア付きコメントが足りません: {counts or 'なし'}。NPS・CSAT・評価とコメントのある"
            f"フィードバックを取り込んでください(肯定・否定の両方を含め {MIN_TRAINING_TEXTS} 件以上)。",
            labels=counts,
        )
    cv = cross_validate_macro_f1(texts, y, n_splits=folds, random_state=seed)
    baseline = _builtin_macro_f1(texts, y)
    model = PolarityClassifier().fit(texts, y)
    sentence_f1 = sentence_baseline = None
    if evidence:
        sentence_f1, sentence_baseline = _sentence_macro_f1(model, evidence)
    if cv.mean <= baseline:
        reason = "the built-in engine scored at least as well on the scored comments"
    elif not evidence:
        reason = (
            "no sentence-level labels to check it on: a comment's score is not each "
            "sentence's polarity (give --sentences FILE)"
        )
    elif sentence_f1 is None or sentence_baseline is None or sentence_f1 <= sentence_baseline:
        reason = "the built-in engine scored at least as well on the labelled sentences"
    else:
        reason = "better on the scored comments and on the labelled sentences"
    adopted = reason.startswith("better")
    with kz.session() as session:
        n = session.scalar(select(func.count()).where(TextModel.workspace_id == workspace.id)) or 0
        version = f"ws{workspace.id}-m{n + 1}"
        if adopted:
            session.execute(
                update(TextModel).where(TextModel.workspace_id == workspace.id).values(active=False)
            )
        session.add(
            TextModel(
                workspace_id=workspace.id,
                version=version,
                n_texts=len(y),
                labels=counts,
                macro_f1=cv.mean,
                macro_f1_std=cv.std,
                baseline_macro_f1=baseline,
                active=adopted,
                blob=model.to_bytes(),
            )
        )
        record_audit(
            session,
            workspace.id,
            actor,
            "text.train",
            f"text_model:{version}",
            adopted=adopted,
            reason=reason,
            sentences=len(evidence),
            sentence_macro_f1=sentence_f1,
            sentence_baseline_macro_f1=sentence_baseline,
        )
    return TrainingReport(
        len(y),
        counts,
        baseline,
        cv.mean,
        cv.std,
        version,
        adopted,
        len(evidence),
        sentence_f1,
        sentence_baseline,
        reason,
    )


def _check_sentences(sentences: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """The labelled sentences, checked: labels known, enough of them, two classes at least."""
    if not sentences:
        return []
    checked = [(str(text), str(label).strip().lower()) for text, label in sentences]
    unknown = sorted({label for _, label in checked if label not in SENTENCE_LABELS})
    if unknown:
        raise InvalidInput(
            f"Sentence labels must be one of {', '.join(SENTENCE_LABELS)}; found {unknown}. "
            "Fix the labels and train again.",
            f"文のラベルは {', '.join(SENTENCE_LABELS)} のいずれかにしてください(見つかったもの: "
            f"{unknown})。直してから学習し直してください。",
            labels=unknown,
        )
    kinds = {label for _, label in checked}
    if len(checked) < MIN_EVIDENCE_SENTENCES or len(kinds) < 2:
        raise InvalidInput(
            f"Too few labelled sentences to judge a model: {len(checked)} in {len(kinds)} "
            f"classes. Label at least {MIN_EVIDENCE_SENTENCES} sentences, in two classes or more.",
            f"モデルを判定するにはラベル付きの文が足りません({len(kinds)} 種類で {len(checked)} 文)。"
            f"2 種類以上で {MIN_EVIDENCE_SENTENCES} 文以上にラベルを付けてください。",
            sentences=len(checked),
        )
    return checked


def _sentence_macro_f1(
    model: PolarityClassifier, sentences: list[tuple[str, str]]
) -> tuple[float, float]:
    """Macro-F1 over the sentences' own classes: the model (through the analyzer, as it
    would run) and the built-in engine; "mixed" counts as its score's side."""
    texts = [text for text, _ in sentences]
    truth = [label for _, label in sentences]
    labels = sorted(set(truth))

    def predicted(frame: Any) -> list[str]:
        out = []
        for label, score in zip(frame["sentiment"], frame["sentiment_score"], strict=True):
            if label == "mixed":
                label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
            out.append(str(label or "neutral"))
        return out

    trained = Analyzer(classifier=model).analyze(texts)
    builtin = _builtin().analyze(texts)
    return (
        float(f1_score(truth, predicted(trained), labels=labels, average="macro", zero_division=0)),
        float(f1_score(truth, predicted(builtin), labels=labels, average="macro", zero_division=0)),
    )


def _builtin_macro_f1(texts: list[str], labels: list[str]) -> float:
    """The built-in engine on binary labels: its score's sign decides (0 counts as positive)."""
    scores = _builtin().analyze(texts)["sentiment_score"].fillna(0.0).to_numpy()
    predicted = np.where(scores >= 0, "positive", "negative")
    return float(f1_score(labels, predicted, average="macro"))


def training_evidence(session: Session, workspace_id: int) -> dict[str, dict[str, Any]]:
    """Each model version's sentence-level evidence as its training recorded it (the
    audit row of `kizuna text train`): sentences, sentence_macro_f1 (the model's),
    sentence_baseline_macro_f1 (the built-in engine's), adopted; empty when none."""
    rows = session.execute(
        select(AuditEvent.target, AuditEvent.details)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.action == "text.train")
        .order_by(AuditEvent.id)
    ).all()
    return {target.removeprefix("text_model:"): dict(details or {}) for target, details in rows}


def list_models(session: Session, workspace_id: int) -> list[TextModel]:
    """The workspace's trained models, newest first (the blob left unread)."""
    return list(
        session.scalars(
            select(TextModel)
            .options(defer(TextModel.blob))
            .where(TextModel.workspace_id == workspace_id)
            .order_by(TextModel.id.desc())
        )
    )


def switch_off_model(session: Session, workspace: Workspace, actor: str) -> TextModel | None:
    """Back to the built-in engine: the active model (if any) is switched off, audited.

    New voices are analysed by the built-in engine from now on; past analyses stay as they
    are until `kizuna text reanalyze`. A model comes back only by training again with
    sentence-level labels (`kizuna text train --sentences FILE`), on that evidence."""
    active = session.scalar(
        select(TextModel).where(TextModel.workspace_id == workspace.id, TextModel.active.is_(True))
    )
    if active is None:
        return None
    active.active = False
    record_audit(session, workspace.id, actor, "text.model_off", f"text_model:{active.version}")
    return active
