"""The text models page shows the sentence-level evidence a model was adopted on, and
which tier reads the voices when no workspace model is in use."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import build_web_app, log_in

from kizuna import Kizuna, Settings
from kizuna.analytics.text.accurate import ACCURATE_VERSION
from kizuna.analytics.text.engine import ENGINE_VERSION
from kizuna.text.models import TextModel
from kizuna.text.service import train_workspace_model

# Scored comments and labelled sentences written for this test.
_GOOD = [
    "スタッフがとても親切でした",
    "朝食が美味しかった",
    "部屋が広くて快適でした",
    "また泊まりたい",
]
_BAD = [
    "部屋が汚れていました",
    "待ち時間が長すぎます",
    "スタッフの態度が悪かった",
    "二度と行かない",
]
_PLACES = ["本館", "新館", "駅前店", "空港店", "本店", "別館"]
SCORED = [(f"{place}: {text}", 10) for place in _PLACES for text in _GOOD] + [
    (f"{place}: {text}", 1) for place in _PLACES for text in _BAD
]
LABELLED = (
    [(f"{place}で{text}", "positive") for place in _PLACES[:4] for text in _GOOD]
    + [(f"{place}で{text}", "negative") for place in _PLACES[:4] for text in _BAD]
    + [(f"{place}に泊まりました", "neutral") for place in _PLACES]
)


def add_scored(kz: Kizuna, ws: Any) -> None:
    from kizuna.ingest.service import ingest_records

    records = [
        {"external_id": f"s{i}", "received_at": "2026-04-01", "nps": nps, "text": text}
        for i, (text, nps) in enumerate(SCORED)
    ]
    ingest_records(kz, ws.workspace, "feedback", records, source="survey")


def test_each_model_shows_its_labelled_sentence_figures(kz: Kizuna, ws: Any) -> None:
    add_scored(kz, ws)
    without = train_workspace_model(kz, ws.workspace, folds=3)
    with_evidence = train_workspace_model(kz, ws.workspace, folds=3, sentences=LABELLED)
    assert with_evidence.sentence_macro_f1 is not None
    assert with_evidence.sentence_baseline_macro_f1 is not None
    client = TestClient(build_web_app(kz), headers={"Accept-Language": "ja"})
    log_in(client, ws.admin_email, ws.password)
    page = client.get(f"/w/{ws.slug}/admin/text")
    assert page.status_code == 200
    assert "ラベル付きの文: モデル" in page.text
    assert f"{with_evidence.sentence_macro_f1:.3f}" in page.text
    assert f"{with_evidence.sentence_baseline_macro_f1:.3f}" in page.text
    # The model trained without sentence labels shows none, and says why on hover.
    row = page.text.split(f'data-model="{without.version}"')[1].split("</tr>")[0]
    assert "ラベル付きの文がないため" in row
    with kz.session() as session:
        versions = set(
            session.scalars(
                select(TextModel.version).where(TextModel.workspace_id == ws.workspace.id)
            )
        )
    assert versions == {without.version, with_evidence.version}


def test_the_page_names_the_accurate_tier_when_it_is_configured(
    kz: Kizuna, ws: Any, settings: Settings
) -> None:
    accurate = Kizuna(settings.model_copy(update={"text_tier": "accurate"}), engine=kz.engine)
    client = TestClient(build_web_app(accurate), headers={"Accept-Language": "en"})
    log_in(client, ws.admin_email, ws.password)
    page = client.get(f"/w/{ws.slug}/admin/text")
    assert f'<strong translate="no">{ENGINE_VERSION}+{ACCURATE_VERSION}</strong>' in page.text
