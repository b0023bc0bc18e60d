"""The survey templates: ready definitions for the surveys CX teams run most.

Each is a YAML file in `data/` (the same format `kizuna surveys create` reads), named by its
code, which is also the `survey` code of the vocabulary (so voices from it are labelled on
the timeline): relationship NPS, post-stay CSAT, post-purchase CSAT, post-support CES, an
eNPS pulse (answers are employee voices) and event feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kizuna.errors import NotFound
from kizuna.surveys.definition import Definition, parse_definition

__all__ = ["TEMPLATES", "Template", "list_templates", "load_template", "template_text"]

DATA = Path(__file__).parent / "data"
TEMPLATES = (
    "relationship_nps",
    "post_stay",
    "post_purchase",
    "post_support",
    "enps_pulse",
    "event_feedback",
)


@dataclass(frozen=True)
class Template:
    """A template's code, its checked definition and what it measures."""

    code: str
    definition: Definition

    @property
    def measures(self) -> tuple[str, ...]:
        """The score types it asks (nps, csat, ces, rating), in order."""
        return tuple(dict.fromkeys(q.type for q in self.definition.questions if q.is_score))


def template_text(code: str) -> str:
    """The YAML of a template, as a starting point to edit."""
    if code not in TEMPLATES:
        raise NotFound(
            f"There is no survey template '{code}'. Templates: {', '.join(TEMPLATES)}.",
            f"アンケートのテンプレート「{code}」はありません。テンプレート: {', '.join(TEMPLATES)}。",
            template=code,
        )
    return (DATA / f"{code}.yaml").read_text(encoding="utf-8")


@cache
def _raw(code: str) -> dict[str, Any]:
    import yaml

    loaded = yaml.safe_load(template_text(code))
    assert isinstance(loaded, dict), code
    return loaded


def load_template(code: str) -> Template:
    """The template `code`, checked; NotFound for an unknown code."""
    return Template(code, parse_definition(_raw(code)))


def list_templates() -> list[Template]:
    return [load_template(code) for code in TEMPLATES]
