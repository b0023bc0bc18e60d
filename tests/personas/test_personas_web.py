"""The personas page, its forms and exports, the personas API and `kizuna personas`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from persona_support import build_demo_workspace, build_web_app, csrf_from, logged_in
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.accounts.keys import create_api_key
from kizuna.accounts.models import Workspace
from kizuna.cli import app as cli_app
from kizuna.customers.models import Segment
from kizuna.jobs.models import Job
from kizuna.personas.service import build_personas, list_personas


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Any:
    workspace, slug, email, password, key = build_demo_workspace(kz, seed=23)
    return {"workspace": workspace, "slug": slug, "email": email, "password": password, "key": key}


@pytest.fixture(scope="module")
def app(kz: Kizuna) -> Any:
    return build_web_app(kz)


def test_before_the_first_build_the_page_says_so_and_offers_one(
    kz: Kizuna, app: Any, demo: dict[str, Any]
) -> None:
    owner = logged_in(app, demo["email"], demo["password"])
    page = owner.get(f"/w/{demo['slug']}/personas")
    assert page.status_code == 200 and "まだペルソナがありません" in page.text
    answer = owner.post(
        f"/w/{demo['slug']}/personas/build",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with kz.session() as session:
        assert (
            session.scalars(
                select(Job).where(
                    Job.workspace_id == demo["workspace"].id, Job.kind == "personas.build"
                )
            ).first()
            is not None
        )
    assert owner.get(f"/w/{demo['slug']}/personas/cards.pdf").status_code == 404


def test_cards_show_figures_and_can_be_renamed_exported_and_saved_as_segments(
    kz: Kizuna, app: Any, demo: dict[str, Any]
) -> None:
    from PIL import Image

    build_personas(kz, demo["workspace"])
    owner = logged_in(app, demo["email"], demo["password"])
    page = owner.get(f"/w/{demo['slug']}/personas")
    with kz.session() as session:
        personas = list_personas(session, demo["workspace"])
    assert page.text.count('class="card persona-card"') == len(personas)
    for heading in (
        "よく使うチャネル",
        "経験価値",
        "ニーズ",
        "ペイン",
        "典型的なジャーニー",
        "平均シルエット係数",
    ):
        assert heading in page.text, heading
    first = personas[0]
    token = csrf_from(page.text)
    renamed = owner.post(
        f"/w/{demo['slug']}/personas/{first.id}/name",
        data={"csrf_token": token, "name": "週末の家族旅行派"},
        follow_redirects=True,
    )
    assert "週末の家族旅行派" in renamed.text
    too_long = owner.post(
        f"/w/{demo['slug']}/personas/{first.id}/name",
        data={"csrf_token": token, "name": "長" * 150},
        follow_redirects=True,
    )
    assert "100文字以内" in too_long.text
    saved = owner.post(
        f"/w/{demo['slug']}/personas/{first.id}/segment",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("/segments")
    with kz.session() as session:
        segment = session.scalars(
            select(Segment).where(Segment.workspace_id == demo["workspace"].id)
        ).one()
    assert segment.conditions == [{"field": "persona", "op": "eq", "value": first.id}]
    assert "週末の家族旅行派" in segment.name
    png = owner.get(f"/w/{demo['slug']}/personas/cards.png")
    assert Image.open(io.BytesIO(png.content)).size == (2480, 1754)
    pdf = owner.get(f"/w/{demo['slug']}/personas/cards.pdf")
    assert pdf.content.startswith(b"%PDF") and b"NotoSansCJK" in pdf.content
    journey = owner.get(f"/w/{demo['slug']}/journeys", params={"scope": f"persona:{first.id}"})
    assert journey.status_code == 200 and "週末の家族旅行派" in journey.text


def test_the_personas_api(kz: Kizuna, app: Any, demo: dict[str, Any]) -> None:
    with kz.session() as session:
        workspace = session.get(Workspace, demo["workspace"].id)
        assert workspace is not None
        viewer = create_api_key(session, workspace, "viewer", "viewer")
        analyst = create_api_key(session, workspace, "analyst", "analyst")
    if not list_personas_api(app, viewer):
        build_personas(kz, demo["workspace"])
    read = TestClient(app, headers={"X-API-Key": viewer, "Accept-Language": "en"})
    personas = read.get("/api/v1/personas").json()
    assert personas and {"display_name", "card", "size", "share"} <= set(personas[0])
    one = read.get(f"/api/v1/personas/{personas[0]['id']}")
    assert one.status_code == 200
    assert read.get("/api/v1/personas/999999999").status_code == 404
    run = read.get("/api/v1/personas/run").json()
    assert run["k"] == len(personas) and str(run["k"]) in run["silhouettes"]
    assert (
        read.patch(f"/api/v1/personas/{personas[0]['id']}", json={"name": "x"}).status_code == 403
    )
    write = TestClient(app, headers={"X-API-Key": analyst})
    patched = write.patch(f"/api/v1/personas/{personas[0]['id']}", json={"name": "API で命名"})
    assert patched.status_code == 200 and patched.json()["display_name"] == "API で命名"
    queued = write.post("/api/v1/personas/build", json={"seed": 1})
    assert queued.status_code == 202 and queued.json()["job"] > 0
    cards = read.get("/api/v1/personas/cards", params={"format": "svg"})
    assert cards.status_code == 200 and "API で命名" in cards.text


def list_personas_api(app: Any, key: str) -> list[Any]:
    answer: list[Any] = TestClient(app, headers={"X-API-Key": key}).get("/api/v1/personas").json()
    return answer


def test_personas_commands(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    kz: Kizuna,
    demo: dict[str, Any],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    cli = CliRunner()
    built = cli.invoke(cli_app, ["personas", "build", "-w", demo["slug"]])
    assert built.exit_code == 0, built.output
    assert "chosen" in built.output and "kept their persona" in built.output
    listed = cli.invoke(cli_app, ["personas", "list", "-w", demo["slug"]])
    assert listed.exit_code == 0 and "NPS" in listed.output
    with kz.session() as session:
        persona_id = list_personas(session, demo["workspace"])[0].id
    renamed = cli.invoke(
        cli_app, ["personas", "rename", "-w", demo["slug"], str(persona_id), "CLIの名前"]
    )
    assert renamed.exit_code == 0 and "CLIの名前" in renamed.output
    out = tmp_path / "cards.pdf"
    exported = cli.invoke(cli_app, ["personas", "export", "-w", demo["slug"], "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes().startswith(b"%PDF")
    wrong = cli.invoke(
        cli_app, ["personas", "export", "-w", demo["slug"], "--out", str(tmp_path / "c.doc")]
    )
    assert wrong.exit_code != 0
