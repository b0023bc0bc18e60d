"""What a feature declares: the shapes of the feature registry, and nothing that loads them.

A feature package has a `feature.py` holding one `Feature`. Everything in it is data:
routers, CLI apps, job modules and subscribers are named as "module:attribute" strings and
imported only when the app, the CLI or the worker needs them, so reading every feature's
declaration costs a few milliseconds (`kizuna --help` loads no feature code).
`kizuna.features` holds the one list and assembles these declarations.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Command",
    "Feature",
    "NavEntry",
    "Permission",
    "ScheduleSpec",
    "Subscription",
    "load_object",
]


def load_object(target: str) -> Any:
    """The object a "package.module:attribute" string names."""
    module, _, attribute = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@dataclass(frozen=True)
class NavEntry:
    """A link in the workspace navigation, shown to users who hold `permission`.

    `label` is an English msgid of the catalog; `path` is relative to the workspace
    (`""` is its home, `"customers"` is /w/{slug}/customers). `section` marks the entry
    current on pages that set the same `nav_section`. `menu` is "main" or "admin".
    """

    section: str
    label: str
    path: str
    permission: str
    order: int = 100
    menu: str = "main"


@dataclass(frozen=True)
class Command:
    """A top-level CLI command: a Typer app (a group) or one Typer-decorated function.

    `help` is shown by `kizuna --help` without importing `target`.
    """

    name: str
    target: str
    help: str


@dataclass(frozen=True)
class Permission:
    """One permission and the roles that hold it (the one permission table is their union)."""

    name: str
    roles: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Subscription:
    """`handler(kz, session, event)` runs once for every event of kind `event`.

    `name` is unique across features; it keys delivery, so renaming a subscriber makes it
    see past events again.
    """

    event: str
    name: str
    handler: str


@dataclass(frozen=True)
class ScheduleSpec:
    """A recurring job every workspace gets: a cron line in the workspace's time zone."""

    name: str
    cron: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Feature:
    """Everything one feature package brings to the app, the CLI, the worker and the schema.

    - `api`, `pages`: "module:router" of JSON routes (mounted under /api/v1) and HTML routes;
    - `nav`: links for the workspace navigation, each with the permission it needs;
    - `commands`: top-level CLI commands;
    - `jobs`: modules whose import registers job handlers (`@job_handler`);
    - `subscriptions`: event subscribers; `schedules`: recurring jobs per workspace;
    - `permissions`: the permissions this feature's routes check, with their roles;
    - `models`: the module defining the feature's tables;
    - `templates`: the package has a `templates/` folder (Jinja2 search path);
    - `migrations`: the package has a `migrations/` folder, an Alembic branch labelled
      with the feature's name (revision ids start with it).
    """

    name: str
    package: str
    api: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    commands: tuple[Command, ...] = ()
    jobs: tuple[str, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    permissions: tuple[Permission, ...] = ()
    models: str | None = None
    templates: bool = False
    migrations: bool = False

    @property
    def folder(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        assert spec is not None and spec.origin is not None, self.package
        return Path(spec.origin).parent

    @property
    def templates_folder(self) -> Path | None:
        return self.folder / "templates" if self.templates else None

    @property
    def migrations_folder(self) -> Path | None:
        return self.folder / "migrations" if self.migrations else None
