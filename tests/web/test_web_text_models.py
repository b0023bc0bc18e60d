"""The text models page: which engine reads the voices, a trained model's figures, and a
switch back to the built-in engine that takes effect for the next voice and is audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner
from web_support import build_web_app, csrf_from, log_in

from kizuna import Kizuna
from kizuna.accounts.audit import list_audit
from kizuna.analytics.text.classifier import PolarityClassifier
from kizuna.analytics.text.engine import ENGINE_VERSION
from kizuna.cli import app
from kizuna.text.models import TextModel
from kizuna.text.service import active_engine

SENTENCES = [
    ("スタッフがとても親切でした", "positive"),
    ("朝食が美味しかったです", "positive"),
    ("部屋が広くて快適でした", "positive"),
    ("部屋が汚れていました", "negative"),
    ("待ち時間が長すぎます", "negative"),
    ("スタッフの態度が悪かったです", "negative"),
]


def adopt_a_model(kz: Kizuna, ws: Any) -> str:
    """A real trained model, stored as adopted (training with evidence would do the same)."""
    texts, labels = zip(*SENTENCES, strict=True)
    blob = PolarityClassifier().fit(list(texts), list(labels)).to_bytes()
    with kz.session() as session:
        session.add(
            TextModel(
                workspace_id=ws.workspace.id, version=f"ws{ws.workspace.id}-m1", n_texts=6,
                labels={"positive": 3, "negative": 3}, macro_f1=0.91, macro_f1_std=0.02,
                baseline_macro_f1=0.88, active=True, blob=blob,
            )
        )  # fmt: skip
    return f"ws{ws.workspace.id}-m1"


def test_the_page_shows_the_model_in_use_and_switches_back_to_the_built_in_engine(
    kz: Kizuna, ws: Any
) -> None:
    version = adopt_a_model(kz, ws)
    with kz.session() as session:
        assert active_engine(session, ws.workspace.id)[1] == f"{ENGINE_VERSION}+{version}"
    client = TestClient(build_web_app(kz), headers={"Accept-Language": "ja"})
    log_in(client, ws.admin_email, ws.password)
    base = f"/w/{ws.slug}/admin/text"
    page = client.get(base)
    assert page.status_code == 200
    assert (
        "使用中: ワークスペースのモデル" in page.text
        and f'<strong translate="no">{version}</strong>' in page.text
    )
    assert "0.910" in page.text
    switched = client.post(
        f"{base}/off", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert switched.status_code == 303
    with kz.session() as session:
        assert active_engine(session, ws.workspace.id)[1] == ENGINE_VERSION  # the next voice
        (entry,) = list_audit(session, ws.workspace, action="text.model_off").items
        assert entry.target == f"text_model:{version}"
    assert (
        f'組み込みエンジン <strong translate="no">{ENGINE_VERSION}</strong>'
        in client.get(base).text
    )
    assert client.post(f"{base}/off", data={}, follow_redirects=False).status_code == 403


def test_the_cli_lists_models_and_switches_off(
    kz: Kizuna, ws: Any, settings: Any, monkeypatch: Any
) -> None:
    version = adopt_a_model(kz, ws)
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    runner = CliRunner()
    listed = runner.invoke(app, ["text", "models", "--workspace", ws.slug])
    assert listed.exit_code == 0, listed.output
    assert f"in use: {version}" in listed.output and "IN USE" in listed.output
    off = runner.invoke(app, ["text", "model-off", "--workspace", ws.slug])
    assert off.exit_code == 0 and f"{version} switched off" in off.output
    assert (
        f"in use: built-in {ENGINE_VERSION}"
        in runner.invoke(app, ["text", "models", "--workspace", ws.slug]).output
    )
    with kz.session() as session:
        assert not session.scalar(select(TextModel.active).where(TextModel.version == version))
