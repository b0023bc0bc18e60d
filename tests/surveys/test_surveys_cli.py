"""`kizuna surveys ...` through the real CLI on the test database: create from YAML (as the
issue writes it), refuse a broken definition with its places, publish, link, QR, results,
export, and the contact rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from survey_support import web_client
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app
from kizuna.surveys.definition import InvalidSurvey
from kizuna.surveys.models import Survey

SURVEY = """\
title: {ja: 店舗アンケート, en: Store survey}
languages: [ja, en]
hidden: [store, touchpoint]
brand: {color: "#ffcc00", logo: logo.png}
questions:
  - id: nps
    type: nps
    text: {ja: "{{hidden.store}}店をすすめますか?", en: "Would you recommend our {{hidden.store}} store?"}
  - id: why_low
    type: text
    page: 2
    show_if: {question: nps, group: detractor}
    text: {ja: "{{nps}}点の理由を教えてください", en: "Why {{nps}}?"}
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> CliRunner:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    return CliRunner()


def test_create_publish_and_answer_a_survey_from_yaml(
    cli: CliRunner,
    kz: Kizuna,
    ws,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "survey.yaml").write_text(SURVEY, encoding="utf-8")
    (tmp_path / "logo.png").write_bytes(PNG)
    made = cli.invoke(app, ["surveys", "create", "-w", ws.slug, str(tmp_path / "survey.yaml")])
    assert made.exit_code == 0, made.output
    assert "created (draft)" in made.output
    with kz.session() as session:
        survey = session.scalars(select(Survey).where(Survey.workspace_id == ws.workspace.id)).one()
        survey_id, key = survey.id, survey.key
        assert survey.logo == PNG and survey.definition["brand"] == {"color": "#ffcc00"}
    published = cli.invoke(app, ["surveys", "publish", "-w", ws.slug, str(survey_id)])
    assert published.exit_code == 0 and f"/s/{key}" in published.output
    listed = cli.invoke(app, ["surveys", "list", "-w", ws.slug])
    assert "live" in listed.output
    client = web_client(kz)
    page = client.get(f"/s/{key}?store=渋谷", headers={"Accept-Language": "ja"})
    assert "渋谷店をすすめますか?" in page.text  # piping a hidden field
    assert f'src="/s/{key}/logo"' in page.text
    assert "--brand: #" in page.text and "--brand: #ffcc00" not in page.text  # darkened for AA
    assert client.get(f"/s/{key}/logo").content == PNG
    answered = client.post(
        f"/s/{key}", json={"answers": {"nps": 4, "why_low": "品切れ"}, "hidden": {"store": "渋谷"}}
    )
    assert answered.status_code == 200
    results = cli.invoke(
        app, ["surveys", "results", "-w", ws.slug, str(survey_id), "--format", "json"]
    )
    assert results.exit_code == 0 and '"metric": "nps"' in results.output
    responses = cli.invoke(app, ["surveys", "responses", "-w", ws.slug, str(survey_id)])
    assert "why_low=品切れ" in responses.output
    out = tmp_path / "answers.csv"
    exported = cli.invoke(app, ["surveys", "export", "-w", ws.slug, str(survey_id), "-o", str(out)])
    assert exported.exit_code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    qr = tmp_path / "room.svg"
    coded = cli.invoke(
        app,
        ["surveys", "qr", "-w", ws.slug, str(survey_id), "--touchpoint", "room-301", "-o", str(qr)],
    )
    assert coded.exit_code == 0 and qr.read_text().startswith("<svg")
    link = cli.invoke(
        app, ["surveys", "link", "-w", ws.slug, str(survey_id), "--touchpoint", "counter"]
    )
    assert link.exit_code == 0 and "/s/i/" in link.output
    widget = cli.invoke(app, ["surveys", "widget", "-w", ws.slug, str(survey_id)])
    assert f'data-survey="{key}"' in widget.output and "<iframe" in widget.output


def test_a_broken_definition_is_refused_with_each_place_and_reason(
    cli: CliRunner,
    ws,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    broken = SURVEY.replace("type: text", "type: essay").replace("en: Store survey", "fr: Enquête")
    broken = broken.replace(
        "    show_if: {question: nps, group: detractor}", "    jump: [{to: nowhere}]"
    )
    path = tmp_path / "broken.yaml"
    path.write_text(
        broken.replace('brand: {color: "#ffcc00", logo: logo.png}\n', ""), encoding="utf-8"
    )
    checked = cli.invoke(app, ["surveys", "validate", str(path)])
    assert checked.exit_code == 1
    assert "title.en" in checked.output and "missing translation" in checked.output
    assert "questions[1] (why_low).type" in checked.output and "essay" in checked.output
    made = cli.invoke(app, ["surveys", "create", "-w", ws.slug, str(path)])
    assert made.exit_code != 0 and isinstance(made.exception, InvalidSurvey)


def test_templates_and_contact_rules_from_the_command_line(cli: CliRunner, ws) -> None:  # type: ignore[no-untyped-def]
    listed = cli.invoke(app, ["surveys", "templates"])
    assert "relationship_nps" in listed.output and "enps_pulse" in listed.output
    shown = cli.invoke(app, ["surveys", "template", "post_support"])
    assert "type: ces" in shown.output
    made = cli.invoke(
        app, ["surveys", "create", "-w", ws.slug, "--template", "post_support", "--publish"]
    )
    assert made.exit_code == 0 and "(live)" in made.output
    rules = cli.invoke(
        app,
        [
            "surveys",
            "rules",
            "-w",
            ws.slug,
            "--frequency-days",
            "14",
            "--quiet",
            "22:00-08:00",
            "--origin",
            "https://shop.example.jp",
        ],
    )
    assert rules.exit_code == 0, rules.output
    assert (
        "14" in rules.output and "22:00-08:00" in rules.output and "shop.example.jp" in rules.output
    )
