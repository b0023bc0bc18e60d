"""Shapes of the personas API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kizuna.web.fields import StrictBody

__all__ = ["BuildRequest", "PersonaPublic", "PersonaRename", "QueuedPublic", "RunPublic"]


class PersonaPublic(BaseModel):
    """A persona and its card; ids stay the same across builds."""

    id: int
    number: int
    name: str | None = Field(description="The team's name; null: the generated one is used.")
    display_name: str
    generated_name: dict[str, Any]
    description: dict[str, Any]
    size: int
    share: float
    card: dict[str, Any]


class PersonaRename(StrictBody):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, max_length=100, description="Empty or null: generated name."
    )


class BuildRequest(StrictBody):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    n_personas: int | None = Field(
        default=None, ge=2, le=12, description="Null: chosen by silhouette."
    )


class QueuedPublic(BaseModel):
    job: int


class RunPublic(BaseModel):
    """The latest build: how many personas and why, on how many customers."""

    id: int
    built_at: dt.datetime
    method: str
    k: int
    silhouettes: dict[str, Any]
    criterion: str
    customers: int
    kept: float | None = Field(
        description="Share of the previous build's customers keeping their persona."
    )
    features: list[Any]
