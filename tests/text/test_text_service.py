"""The text engine inside the platform: stored, versioned analyses; background jobs; training."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.analytics.text import ENGINE_VERSION, PolarityClassifier
from kizuna.cli import app
from kizuna.demo import build_demo
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.jobs.worker import Worker
from kizuna.text.models import TextModel
from kizuna.text.service import (
    active_engine,
    analyze_feedback,
    enqueue_analysis,
    train_workspace_model,
)

WHEN = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)


def add_feedback(kz: Kizuna, workspace_id: int, texts: list[str | None]) -> list[int]:
    with kz.session() as session:
        rows = [
            {
                "workspace_id": workspace_id,
                "source": "survey",
                "external_id": f"fb-{i}",
                "channel": "web",
                "received_at": WHEN,
                "received_on": WHEN.date(),
                "text": text,
                "properties": {},
                "content_hash": f"{i:032d}",
            }
            for i, text in enumerate(texts)
        ]
        session.execute(insert(Feedback), rows)
        return list(
            session.scalars(
                select(Feedback.id)
                .where(Feedback.workspace_id == workspace_id)
                .order_by(Feedback.id)
            )
        )


def test_analysis_is_stored_with_its_engine_version_and_fills_language(kz: Kizuna, ws) -> None:
    ids = add_feedback(
        kz,
        ws.workspace.id,
        [
            "朝食はとても美味しかったが、部屋が狭くて残念でした。",
            "The staff were wonderful!",
            "",
            None,
        ],
    )
    assert analyze_feedback(kz, ws.workspace.id, ids) == 4
    with kz.session() as session:
        stored = {
            a.feedback_id: a
            for a in session.scalars(
                select(FeedbackAnalysis).where(FeedbackAnalysis.workspace_id == ws.workspace.id)
            )
        }
        languages = dict(
            session.execute(
                select(Feedback.id, Feedback.language).where(Feedback.id.in_(ids))
            ).all()
        )
    first = stored[ids[0]]
    assert first.engine_version == ENGINE_VERSION
    # The clause after が weighs more: overall negative or mixed, never positive.
    assert first.sentiment in ("negative", "mixed")
    polarity = {t["topic"]: t["sentiment"] for t in first.topics}
    assert polarity.get("food") == "positive" and polarity.get("room") == "negative"
    assert stored[ids[1]].sentiment == "positive" and languages[ids[1]] == "en"
    assert languages[ids[0]] == "ja"
    # Empty text is analysed without guessing a sentiment.
    assert stored[ids[2]].sentiment is None and stored[ids[3]].sentiment is None
    # Running again replaces, never duplicates.
    analyze_feedback(kz, ws.workspace.id, ids)
    with kz.session() as session:
        n = session.scalar(
            select(func.count())
            .select_from(FeedbackAnalysis)
            .where(FeedbackAnalysis.workspace_id == ws.workspace.id)
        )
    assert n == 4


def test_another_workspaces_feedback_is_never_analysed_through_this_one(
    kz: Kizuna, make_workspace
) -> None:
    a, b = make_workspace(), make_workspace()
    b_ids = add_feedback(kz, b.workspace.id, ["部屋がとても綺麗でした。"])
    assert analyze_feedback(kz, a.workspace.id, b_ids) == 0


def test_queued_analysis_runs_in_the_background_worker(kz: Kizuna, ws) -> None:
    ids = add_feedback(
        kz, ws.workspace.id, ["スタッフの対応が期待以上で感動しました!", "配送が遅くて困りました。"]
    )
    with kz.session() as session:
        enqueue_analysis(session, ws.workspace.id, ids)
    Worker(kz, name="test-text").run_burst()
    with kz.session() as session:
        found = dict(
            session.execute(
                select(FeedbackAnalysis.feedback_id, FeedbackAnalysis.sentiment).where(
                    FeedbackAnalysis.workspace_id == ws.workspace.id
                )
            ).all()
        )
        delight = session.scalar(
            select(FeedbackAnalysis.delight).where(FeedbackAnalysis.feedback_id == ids[0])
        )
    assert found == {ids[0]: "positive", ids[1]: "negative"}
    assert delight is not None and delight > 0.5


def test_training_needs_enough_scored_comments_and_says_so(kz: Kizuna, ws) -> None:
    add_feedback(kz, ws.workspace.id, ["良かった"] * 3)
    with pytest.raises(InvalidInput) as err:
        train_workspace_model(kz, ws.workspace)
    assert "学習に使えるスコア付きコメントが足りません" in err.value.message("ja")


# Sentences a CX team might label one by one (written for this test): plain narration is
# neutral whatever score its writer gave.
LABELLED_SENTENCES = [
    *[
        (text, "neutral")
        for text in (
            "チェックインは15時からでした",
            "駅から歩いて10分ほどです",
            "家族4人で1泊しました",
            "朝食は和食を選びました",
            "平日の夜に利用しました",
            "部屋は8階でした",
            "支払いはカードにしました",
            "駐車場はホテルの裏にあります",
            "出張で利用しました",
            "夕食は外で食べました",
            "荷物を預けてから出かけました",
            "予約は電話でしました",
        )
    ],
    *[
        (text, "positive")
        for text in (
            "スタッフの対応がとても丁寧でした",
            "朝食が美味しかったです",
            "部屋が広くて快適でした",
            "また泊まりたいです",
            "景色が最高でした",
            "清潔で気持ちよく過ごせました",
            "友人にも勧めたいです",
            "お風呂が気持ちよかったです",
            "接客が素晴らしかったです",
        )
    ],
    *[
        (text, "negative")
        for text in (
            "部屋が汚れていました",
            "待ち時間が長すぎます",
            "エアコンが壊れていました",
            "Wi-Fiが繋がりませんでした",
            "スタッフの態度が悪かったです",
            "隣の部屋がうるさかったです",
            "朝食が冷めていました",
            "シャワーのお湯がぬるかったです",
            "チェックインに時間がかかりました",
        )
    ],
]


def test_a_model_is_not_adopted_without_sentence_level_evidence(
    kz: Kizuna, settings: Settings
) -> None:
    summary = build_demo(
        kz, slug="text-train", seed=11, customers=200, interactions=1000, feedback=600
    )
    with kz.session() as session:
        ws = kz.workspace(session, summary.slug)
    report = train_workspace_model(kz, ws, folds=3)
    assert report.n_texts > 100
    assert not report.adopted
    assert "sentence" in report.reason or "built-in" in report.reason
    with kz.session() as session:
        models = session.scalars(select(TextModel).where(TextModel.workspace_id == ws.id)).all()
        _, version = active_engine(session, ws.id)
    assert [m.version for m in models] == [report.version]
    assert version == ENGINE_VERSION

    # With sentence labels, it is adopted only if it beats the built-in engine on them too.
    report = train_workspace_model(kz, ws, folds=3, sentences=LABELLED_SENTENCES)
    assert report.sentence_texts == len(LABELLED_SENTENCES)
    assert report.sentence_macro_f1 is not None
    assert report.sentence_baseline_macro_f1 is not None
    better = (
        report.macro_f1 > report.baseline_macro_f1
        and report.sentence_macro_f1 > report.sentence_baseline_macro_f1
    )
    assert report.adopted == better
    with kz.session() as session:
        _, version = active_engine(session, ws.id)
    assert version == (f"{ENGINE_VERSION}+{report.version}" if better else ENGINE_VERSION)


def test_sentence_labels_are_checked(kz: Kizuna, ws) -> None:
    add_feedback(kz, ws.workspace.id, ["良かった"] * 3)
    with pytest.raises(InvalidInput) as err:
        train_workspace_model(kz, ws.workspace, sentences=[("良かった", "good")] * 40)
    assert "negative, neutral, positive" in err.value.message("en")
    with pytest.raises(InvalidInput) as err:
        train_workspace_model(kz, ws.workspace, sentences=LABELLED_SENTENCES[:5])
    assert "ラベル付きの文が足りません" in err.value.message("ja")


def test_reanalyze_command_reports_count_and_version(
    kz: Kizuna, ws, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_feedback(kz, ws.workspace.id, ["とても快適でした", "最悪でした"])
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(app, ["text", "reanalyze", "--workspace", ws.slug])
    assert result.exit_code == 0, result.output
    assert f"analysed 2 feedback with {ENGINE_VERSION}" in result.output


def test_imported_feedback_is_queued_and_analysed_by_the_worker(kz: Kizuna, ws) -> None:
    from kizuna.ingest.service import ingest_records

    records = [
        {
            "external_id": "r1",
            "received_at": "2026-04-01",
            "nps": 10,
            "text": "想像以上のおもてなしに感動しました。",
        },
        {
            "external_id": "r2",
            "received_at": "2026-04-01",
            "nps": 2,
            "text": "チェックインで30分も待たされました。",
        },
    ]
    summary, _ = ingest_records(kz, ws.workspace, "feedback", records, source="review")
    assert summary.inserted == 2
    Worker(kz, name="test-import-text").run_burst()
    with kz.session() as session:
        got = dict(
            session.execute(
                select(Feedback.external_id, FeedbackAnalysis.sentiment)
                .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
                .where(Feedback.workspace_id == ws.workspace.id)
            ).all()
        )
    assert got == {"r1": "positive", "r2": "negative"}
    # A re-import changes nothing and queues nothing new.
    again, _ = ingest_records(kz, ws.workspace, "feedback", records, source="review")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert Worker(kz, name="test-import-text").run_burst() == 0


# A workspace where "fine" is faint praise (written for this test).
FAINT_POSITIVE = [
    "The staff were excellent",
    "The breakfast was great",
    "Lovely room and great view",
    "The staff were wonderful and kind",
    "Great food, excellent service",
    "The room was lovely and quiet",
    "Excellent breakfast",
    "Great staff",
]
FAINT_NEGATIVE = [
    "The staff were fine",
    "The room was fine",
    "The breakfast was fine I guess",
    "Fine, nothing more",
    "The room was dirty",
    "The staff were rude",
    "The breakfast was cold",
    "The bed was fine",
]


def test_stored_topics_agree_with_the_workspace_models_sentiment(kz: Kizuna, ws) -> None:
    model = PolarityClassifier(min_df=1).fit(
        FAINT_POSITIVE + FAINT_NEGATIVE,
        ["positive"] * len(FAINT_POSITIVE) + ["negative"] * len(FAINT_NEGATIVE),
    )
    with kz.session() as session:
        session.add(
            TextModel(
                workspace_id=ws.workspace.id,
                version="ws-test-m1",
                n_texts=len(FAINT_POSITIVE) + len(FAINT_NEGATIVE),
                labels={"positive": len(FAINT_POSITIVE), "negative": len(FAINT_NEGATIVE)},
                macro_f1=0.9,
                baseline_macro_f1=0.5,
                active=True,
                blob=model.to_bytes(),
            )
        )
    ids = add_feedback(
        kz,
        ws.workspace.id,
        ["The staff were fine.", "The breakfast was great but the room was fine."],
    )
    assert analyze_feedback(kz, ws.workspace.id, ids) == 2
    with kz.session() as session:
        stored = {
            a.feedback_id: a
            for a in session.scalars(
                select(FeedbackAnalysis).where(FeedbackAnalysis.workspace_id == ws.workspace.id)
            )
        }
    faint = stored[ids[0]]
    assert faint.engine_version == f"{ENGINE_VERSION}+ws-test-m1"
    assert faint.sentiment == "negative"
    assert [(t["topic"], t["sentiment"]) for t in faint.topics] == [("staff", "negative")]
    mixed = {t["topic"]: t["sentiment"] for t in stored[ids[1]].topics}
    assert mixed == {"food": "positive", "room": "negative"}


def test_the_accurate_tier_reads_voices_only_when_configured(
    kz: Kizuna, ws, settings: Settings
) -> None:
    from kizuna.analytics.text.accurate import ACCURATE_VERSION

    ids = add_feedback(kz, ws.workspace.id, ["スタッフがとても親切でした。", "部屋が汚かった。"])
    assert analyze_feedback(kz, ws.workspace.id, ids) == 2
    accurate = Kizuna(settings.model_copy(update={"text_tier": "accurate"}), engine=kz.engine)
    assert analyze_feedback(accurate, ws.workspace.id, ids) == 2
    with kz.session() as session:
        stored = session.execute(
            select(
                FeedbackAnalysis.feedback_id,
                FeedbackAnalysis.engine_version,
                FeedbackAnalysis.sentiment,
            ).where(FeedbackAnalysis.workspace_id == ws.workspace.id)
        ).all()
        _, fast_version = active_engine(session, ws.workspace.id)
        _, accurate_version = active_engine(session, ws.workspace.id, "accurate")
    assert fast_version == ENGINE_VERSION
    assert accurate_version == f"{ENGINE_VERSION}+{ACCURATE_VERSION}"
    # Both tiers' results are kept, each under its own version.
    assert sorted((v, s) for _, v, s in stored) == sorted(
        [
            (ENGINE_VERSION, "positive"),
            (ENGINE_VERSION, "negative"),
            (accurate_version, "positive"),
            (accurate_version, "negative"),
        ]
    )


def test_the_worker_uses_a_local_accurate_model_when_one_is_configured(
    kz: Kizuna, ws, settings: Settings, tmp_path
) -> None:
    path = tmp_path / "local.npz"
    model = PolarityClassifier(min_df=1).fit(
        FAINT_POSITIVE + FAINT_NEGATIVE,
        ["positive"] * len(FAINT_POSITIVE) + ["negative"] * len(FAINT_NEGATIVE),
    )
    path.write_bytes(model.to_bytes())
    local = Kizuna(
        settings.model_copy(update={"text_tier": "accurate", "text_accurate_model": str(path)}),
        engine=kz.engine,
    )
    ids = add_feedback(kz, ws.workspace.id, ["The staff were fine."])
    assert analyze_feedback(local, ws.workspace.id, ids) == 1
    with kz.session() as session:
        version, sentiment, topics = session.execute(
            select(
                FeedbackAnalysis.engine_version,
                FeedbackAnalysis.sentiment,
                FeedbackAnalysis.topics,
            ).where(FeedbackAnalysis.workspace_id == ws.workspace.id)
        ).one()
    assert version.startswith(f"{ENGINE_VERSION}+accurate-local-")
    # The local model learned that "fine" is faint praise here; topics follow it.
    assert sentiment == "negative"
    assert [t["sentiment"] for t in topics] == ["negative"]
