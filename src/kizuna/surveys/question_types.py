"""What a survey question is: its types, their fixed scales and the NPS groups, and the
`Option` and `Question` records that `read_questions` (`kizuna.surveys.questions`) builds.

Data only: no checking here, nothing that reads a definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kizuna.surveys.problems import MAX_TEXT, Text

__all__ = [
    "FIXED_SCALES",
    "NPS_GROUPS",
    "QUESTION_TYPES",
    "SCORE_TYPES",
    "Option",
    "Question",
]

QUESTION_TYPES = (
    "nps",
    "csat",
    "ces",
    "rating",
    "number",
    "single",
    "multiple",
    "text",
    "consent",
)
# Fixed scales (ARCHITECTURE.md, metric definitions); rating and number have their own.
FIXED_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
SCORE_TYPES = ("nps", "csat", "ces", "rating", "number")
NPS_GROUPS = ("detractor", "passive", "promoter")


@dataclass(frozen=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True)
class Question:
    """One question; `page` is its page's index, `min`/`max` its scale (scores only)."""

    id: str
    type: str
    text: Text
    page: int
    required: bool
    help: Text | None = None
    options: tuple[Option, ...] = ()
    other: bool = False
    min: int = 0
    max: int = 0
    style: str = "numbers"
    low_label: Text | None = None
    high_label: Text | None = None
    max_length: int = MAX_TEXT
    show_if: dict[str, Any] | None = None
    jump: tuple[dict[str, Any], ...] = ()

    @property
    def is_score(self) -> bool:
        return self.type in SCORE_TYPES

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)
