"""Events of the surveys room: answers completed (and voices made of them).

Raised in the transaction that stored the responses (`kizuna.jobs.events.raise_event`), so
a subscriber (rules, cases, "you said, we did") never sees a response that was rolled back.
The voices themselves raise `voice.recorded` as every voice does.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kizuna.jobs.events import Event

__all__ = ["SurveyAnswered"]


class SurveyAnswered(Event):
    """Respondents completed a survey; `feedback_ids` are the voices their answers became."""

    kind: ClassVar[str] = "survey.answered"
    survey_id: int
    response_ids: list[int] = Field(min_length=1)
    feedback_ids: list[int] = Field(default_factory=list)
