"""Shapes of the topics API: topics with counts, proposals, changes and their relabelling."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.topics.taxonomy import KEY_PATTERN
from kizuna.web.fields import StrictBody

__all__ = [
    "AcceptRequest",
    "ChangePublic",
    "ChangeRequest",
    "CustomTopicRequest",
    "DiscoverRequest",
    "HideRequest",
    "MergeRequest",
    "ProposalPublic",
    "QueuedPublic",
    "RelabelPublic",
    "RenameRequest",
    "SplitPart",
    "SplitRequest",
    "TopicPublic",
]

# The models' PROPOSAL_STATES and RELABEL_STATES (a test keeps them equal).
ProposalState = Literal["proposed", "accepted", "dismissed"]
RelabelState = Literal["queued", "running", "done", "superseded"]

TopicKey = Annotated[
    str,
    Field(
        pattern=KEY_PATTERN,
        max_length=64,
        description="A topic's key: lower-case letters, digits and _, starting with a letter.",
        examples=["parking"],
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
Keyword = Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]
Keywords = Annotated[
    list[Keyword],
    Field(
        min_length=1,
        max_length=50,
        description="Words that tag a voice: ASCII ones as whole words, others anywhere.",
    ),
]


class TopicPublic(BaseModel):
    """One active topic of the workspace, with the voices holding it."""

    key: str
    name: str = Field(description="In the language of Accept-Language (ja or en).")
    name_ja: str
    name_en: str
    origin: Literal["builtin", "custom"]
    keywords: list[str]
    voices_30d: int = Field(description="Voices of the last 30 days (workspace time zone).")
    voices: int
    sentiments: dict[str, int] = Field(description="Voices by the topic's own polarity.")


class ProposalPublic(BaseModel):
    id: int
    phrase: str
    language: str
    count: int
    share: float
    score: float
    samples: list[str]
    state: ProposalState
    proposed_at: dt.datetime
    decided_at: dt.datetime | None
    change_id: int | None


class RelabelPublic(BaseModel):
    """A background run relabelling past voices: `done` of `total` analyses."""

    id: int
    state: RelabelState
    reason: Literal["apply", "undo"]
    total: int | None
    done: int
    changed: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ChangePublic(BaseModel):
    id: int
    kind: Literal["custom", "rename", "merge", "split", "hide"]
    spec: dict[str, Any]
    actor: str
    created_at: dt.datetime
    undone_at: dt.datetime | None
    undone_by: str | None
    relabel: RelabelPublic | None = Field(description="The latest run this change started.")


class QueuedPublic(BaseModel):
    job: int


class _Body(StrictBody):
    model_config = ConfigDict(extra="forbid")


class CustomTopicRequest(_Body):
    kind: Literal["custom"]
    key: TopicKey
    name_ja: Name
    name_en: Name
    keywords: Keywords


class RenameRequest(_Body):
    kind: Literal["rename"]
    key: TopicKey
    name_ja: Name
    name_en: Name


class MergeRequest(_Body):
    kind: Literal["merge"]
    sources: list[TopicKey] = Field(min_length=1, max_length=20)
    target: TopicKey
    name_ja: Name | None = None
    name_en: Name | None = None


class SplitPart(_Body):
    key: TopicKey
    name_ja: Name
    name_en: Name
    keywords: Keywords


class SplitRequest(_Body):
    kind: Literal["split"]
    source: TopicKey
    parts: list[SplitPart] = Field(min_length=2, max_length=6)


class HideRequest(_Body):
    kind: Literal["hide"]
    key: TopicKey


ChangeRequest = Annotated[
    CustomTopicRequest | RenameRequest | MergeRequest | SplitRequest | HideRequest,
    Field(discriminator="kind"),
]


class AcceptRequest(_Body):
    """Optional edits of the topic an accepted proposal becomes."""

    key: TopicKey | None = None
    name_ja: Name | None = None
    name_en: Name | None = None
    keywords: Keywords | None = None


class DiscoverRequest(_Body):
    days: int = Field(default=90, ge=1, le=3660, description="Voices of the last N days.")
