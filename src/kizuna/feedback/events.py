"""Events of the feedback room: voices recorded (one or a batch) and voices analysed.

Raised in the same transaction as the rows they name (`kizuna.jobs.events.raise_event`),
so a subscriber never sees an id whose row was rolled back.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kizuna.jobs.events import Event

__all__ = ["VoicesAnalyzed", "VoicesRecorded", "VoicesRelabelled"]


class VoicesRecorded(Event):
    """New or changed voices were stored (by `record_voice`, an import batch or the API)."""

    kind: ClassVar[str] = "voice.recorded"
    feedback_ids: list[int] = Field(min_length=1)


class VoicesAnalyzed(Event):
    """The text engine stored an analysis of these voices (`reanalysis` when run again)."""

    kind: ClassVar[str] = "voice.analyzed"
    feedback_ids: list[int] = Field(min_length=1)
    engine_version: str
    reanalysis: bool = False


class VoicesRelabelled(Event):
    """The stored topics of these voices' analyses changed in place (the workspace's topics
    were renamed, merged, split or hidden): what counts them must count them again."""

    kind: ClassVar[str] = "voice.relabelled"
    feedback_ids: list[int] = Field(min_length=1)
