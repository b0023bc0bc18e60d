"""Events of the personas room: a build stored new personas (raised in its transaction)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from kizuna.jobs.events import Event

__all__ = ["PersonasBuilt"]


class PersonasBuilt(Event):
    """Personas were (re)built: their ids (kept across builds) and the build's id."""

    kind: ClassVar[str] = "persona.built"
    run_id: int
    persona_ids: list[int] = Field(min_length=1)
