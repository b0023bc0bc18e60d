"""The answer writer: answers waiting together are committed as one group, each request gets
its own outcome (or its own error), and a group's voices are stored and audited exactly as an
answer written alone is."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import select
from survey_support import SurveyWorld

from kizuna.accounts.models import AuditEvent
from kizuna.feedback.models import Feedback
from kizuna.surveys.answering import AnswerBatch, InvalidAnswer, Outcome, Submission
from kizuna.surveys.logic import page_path, path_questions, visible_questions
from kizuna.surveys.service import definition_of, get_survey
from kizuna.surveys.writer import AnswerWriter


def _answer(world: SurveyWorld, key: str, score: int) -> Submission:
    question = "delighted" if score >= 9 else "improve" if score >= 7 else "disappointed"
    return Submission(
        survey_key=world.key,
        response_key=key,
        answers={"nps": score, question: f"comment {key}"},
        complete=True,
        channel="api",
    )


def _audits(world: SurveyWorld) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """target -> (actor, action, details) of the workspace's voice audit rows."""
    with world.kz.session() as session:
        rows = session.scalars(
            select(AuditEvent).where(
                AuditEvent.workspace_id == world.workspace.id,
                AuditEvent.action.startswith("voice."),
            )
        )
        return {row.target: (row.actor, row.action, row.details) for row in rows}


def test_answers_waiting_together_commit_as_one_group_each_with_its_own_outcome(
    world: SurveyWorld,
) -> None:
    writer = AnswerWriter(world.kz)
    gate = threading.Event()
    scores = {"group-0000001": 10, "group-0000002": 3, "group-0000003": 11, "group-0000004": 8}

    async def answer_all() -> list[Any]:
        # The first item holds the writer until the others are queued behind it.
        held = asyncio.ensure_future(writer.run_async(lambda batch: gate.wait(10)))
        await asyncio.sleep(0.05)
        waiting = [
            asyncio.ensure_future(
                writer.run_async(lambda batch, s=_answer(world, k, v): batch.submit(s))
            )
            for k, v in scores.items()
        ]
        await asyncio.sleep(0.05)
        gate.set()
        await held
        return await asyncio.gather(*waiting, return_exceptions=True)

    results = asyncio.run(answer_all())
    assert (writer.batches, writer.items) == (2, 5), "the four answers were not one group"
    outcomes = dict(zip(scores, results, strict=True))
    assert isinstance(outcomes.pop("group-0000003"), InvalidAnswer)  # 11 is out of range
    for key, outcome in outcomes.items():
        assert isinstance(outcome, Outcome)
        assert (outcome.response_key, outcome.state) == (key, "completed")
        assert outcome.response_id is not None
    with world.kz.session() as session:
        stored = {
            voice.external_id.rsplit(":", 1)[1]: (voice.nps, voice.id)
            for voice in session.scalars(
                select(Feedback).where(Feedback.workspace_id == world.workspace.id)
            )
        }
    assert {key: nps for key, (nps, _) in stored.items()} == {
        "group-0000001": 10,
        "group-0000002": 3,
        "group-0000004": 8,
    }

    # One more answer, alone: written through `record_voice` and its `record_audit`.
    writer.run(lambda batch: batch.submit(_answer(world, "alone-00000001", 9)))
    audits = _audits(world)
    alone = [
        target for target in audits if target not in {f"feedback:{i}" for _, i in stored.values()}
    ]
    assert len(alone) == 1
    for _, voice_id in stored.values():
        assert audits[f"feedback:{voice_id}"] == audits[alone[0]], "a group audits differently"
    assert audits[alone[0]] == ("respondent", "voice.inserted", {})


def test_a_group_whose_transaction_fails_runs_each_item_again_alone(world: SurveyWorld) -> None:
    writer = AnswerWriter(world.kz)
    gate = threading.Event()
    calls: list[str] = []

    def breaks_the_group(batch: AnswerBatch) -> None:
        calls.append("broken")
        raise RuntimeError("not a checked problem: the whole group is rolled back")

    async def send() -> list[Any]:
        held = asyncio.ensure_future(writer.run_async(lambda batch: gate.wait(10)))
        await asyncio.sleep(0.05)
        waiting = [
            asyncio.ensure_future(
                writer.run_async(lambda b: b.submit(_answer(world, "retry-00000001", 9)))
            ),
            asyncio.ensure_future(writer.run_async(breaks_the_group)),
        ]
        await asyncio.sleep(0.05)
        gate.set()
        await held
        return await asyncio.gather(*waiting, return_exceptions=True)

    good, bad = asyncio.run(send())
    assert isinstance(good, Outcome) and good.state == "completed"
    assert isinstance(bad, RuntimeError)
    assert len(calls) >= 2  # in the group, then alone
    with world.kz.session() as session:
        voices = session.scalars(
            select(Feedback.external_id).where(Feedback.workspace_id == world.workspace.id)
        ).all()
    assert voices == [f"survey:{world.survey_id}:retry-00000001"]


@pytest.mark.parametrize(
    "answers",
    [{}, {"nps": 2}, {"nps": 7}, {"nps": 10}, {"nps": 10, "delighted": "とても良い"}],
)
def test_path_questions_are_page_path_with_each_pages_visible_questions(
    world: SurveyWorld, answers: dict[str, Any]
) -> None:
    with world.kz.session() as session:
        definition = definition_of(get_survey(session, world.workspace, world.survey_id))
    expected = [
        (page, visible_questions(definition, page, answers, {}))
        for page in page_path(definition, answers, {})
    ]
    assert path_questions(definition, answers, {}) == expected
