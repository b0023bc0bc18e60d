"""The one list of features, and the views the app, the CLI, the worker and the schema take of it.

Adding a feature is a package with a `feature.py` (a `kizuna.registry.Feature` named
`FEATURE`) and one line in `FEATURE_MODULES`. Nothing here imports a feature's code, only
its declaration; routers, commands and handlers are loaded by whoever needs them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec, Subscription

__all__ = [
    "FEATURE_MODULES",
    "commands",
    "features",
    "job_modules",
    "load_models",
    "migration_folders",
    "model_modules",
    "nav_entries",
    "permissions",
    "schedules",
    "subscriptions",
    "template_folders",
]

FEATURE_MODULES = (
    "kizuna.accounts.feature",
    "kizuna.jobs.feature",
    "kizuna.mail.feature",
    "kizuna.reports.feature",
    "kizuna.customers.feature",
    "kizuna.feedback.feature",
    "kizuna.text.feature",
    "kizuna.ingest.feature",
    "kizuna.demo.feature",
    # issue 11: closing the loop
    "kizuna.loop.feature",
    # issue 13: journeys and personas
    "kizuna.journeys.feature",
    "kizuna.personas.feature",
    # issue 10: surveys
    "kizuna.surveys.feature",
    # issue 12: topic management
    "kizuna.topics.feature",
)


@cache
def features() -> tuple[Feature, ...]:
    """Every feature's declaration, in list order; names are unique."""
    found: list[Feature] = []
    for module in FEATURE_MODULES:
        feature = importlib.import_module(module).FEATURE
        if not isinstance(feature, Feature):
            raise TypeError(f"{module}.FEATURE is not a kizuna.registry.Feature")
        found.append(feature)
    names = [f.name for f in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"feature names must be unique: {sorted(duplicates)}")
    return tuple(found)


def _each(attribute: str) -> Iterator[object]:
    for feature in features():
        yield from getattr(feature, attribute)


def commands() -> list[Command]:
    return [c for c in _each("commands") if isinstance(c, Command)]


def nav_entries(menu: str = "main") -> list[NavEntry]:
    entries = [e for e in _each("nav") if isinstance(e, NavEntry) and e.menu == menu]
    return sorted(entries, key=lambda e: e.order)


def permissions() -> list[Permission]:
    return [p for p in _each("permissions") if isinstance(p, Permission)]


def subscriptions(event: str | None = None) -> list[Subscription]:
    found = [s for s in _each("subscriptions") if isinstance(s, Subscription)]
    return [s for s in found if event is None or s.event == event]


def schedules() -> list[ScheduleSpec]:
    return [s for s in _each("schedules") if isinstance(s, ScheduleSpec)]


def job_modules() -> list[str]:
    return [str(m) for m in _each("jobs")]


def model_modules() -> list[str]:
    return [f.models for f in features() if f.models]


def load_models() -> None:
    """Import every feature's tables onto `Base.metadata` (Alembic and the app need them all)."""
    for module in model_modules():
        importlib.import_module(module)


def template_folders() -> list[Path]:
    return [folder for f in features() if (folder := f.templates_folder) is not None]


def migration_folders() -> dict[str, Path]:
    """Feature name -> its migrations folder (an Alembic branch of that name)."""
    return {f.name: folder for f in features() if (folder := f.migrations_folder) is not None}
