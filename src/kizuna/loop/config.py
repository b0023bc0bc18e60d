"""A workspace's loop settings: business calendar, SLA per priority, root-cause taxonomy.

Stored in one `loop_settings` row per workspace; anything not set takes the default
(weekdays 09:00-18:00, national holidays, the year-end closure and Obon; SLA by priority
below; the built-in root causes in data/root_causes.yaml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.calendar import BusinessCalendar
from kizuna.analytics.yaml_file import read_yaml_file
from kizuna.errors import InvalidInput
from kizuna.loop.models import PRIORITIES, LoopSettings

__all__ = [
    "DEFAULT_SLA",
    "RootCause",
    "SlaPolicy",
    "business_calendar",
    "loop_settings",
    "root_causes",
    "sla_policy",
    "update_loop_settings",
]

# priority -> (first response, resolution), in business hours
DEFAULT_SLA: dict[int, tuple[float, float]] = {1: (1, 8), 2: (4, 24), 3: (8, 40), 4: (24, 80)}
DEFAULT_WARN_RATIO = 0.8


@dataclass(frozen=True)
class SlaPolicy:
    """Business hours allowed per priority, and when (share of the budget used) to warn."""

    hours: dict[int, tuple[float, float]]
    warn_ratio: float

    def first_response(self, priority: int) -> dt.timedelta:
        return dt.timedelta(hours=self.hours[priority][0])

    def resolution(self, priority: int) -> dt.timedelta:
        return dt.timedelta(hours=self.hours[priority][1])


@dataclass(frozen=True)
class RootCause:
    code: str
    ja: str
    en: str

    def name(self, language: str) -> str:
        return self.ja if language == "ja" else self.en


@lru_cache(maxsize=1)
def _builtin_root_causes() -> tuple[RootCause, ...]:
    data = read_yaml_file(
        Path(__file__).parent / "data" / "root_causes.yaml", "root causes", "原因分類"
    )
    return tuple(
        RootCause(str(code), str(names["ja"]), str(names["en"]))
        for code, names in (data.get("root_causes") or {}).items()
    )


def loop_settings(session: Session, workspace: Workspace) -> LoopSettings:
    """The workspace's settings row (an unsaved default when none was stored yet)."""
    found = session.scalar(select(LoopSettings).where(LoopSettings.workspace_id == workspace.id))
    return found or LoopSettings(workspace_id=workspace.id, calendar={}, sla={}, root_causes=[])


def business_calendar(session: Session, workspace: Workspace) -> BusinessCalendar:
    return _calendar(workspace.timezone, _frozen(loop_settings(session, workspace).calendar))


@lru_cache(maxsize=64)
def _calendar(timezone: str, frozen: str) -> BusinessCalendar:
    import json

    return BusinessCalendar.from_config(json.loads(frozen), timezone)


def _frozen(config: dict[str, Any]) -> str:
    import json

    return json.dumps(config or {}, sort_keys=True, ensure_ascii=False)


def sla_policy(session: Session, workspace: Workspace) -> SlaPolicy:
    stored = loop_settings(session, workspace).sla or {}
    return _policy(stored)


def _policy(stored: dict[str, Any]) -> SlaPolicy:
    hours = dict(DEFAULT_SLA)
    for key, value in (stored.get("priorities") or {}).items():
        priority = int(key)
        hours[priority] = (float(value["first_response_hours"]), float(value["resolution_hours"]))
    return SlaPolicy(hours, float(stored.get("warn_ratio", DEFAULT_WARN_RATIO)))


def root_causes(session: Session, workspace: Workspace) -> list[RootCause]:
    stored = loop_settings(session, workspace).root_causes or []
    if not stored:
        return list(_builtin_root_causes())
    return [RootCause(str(r["code"]), str(r["ja"]), str(r["en"])) for r in stored]


def update_loop_settings(
    session: Session,
    workspace: Workspace,
    *,
    calendar: dict[str, Any] | None = None,
    sla: dict[str, Any] | None = None,
    root_causes_list: list[dict[str, Any]] | None = None,
    actor: str = "system",
) -> LoopSettings:
    """Replace the given parts of the settings (each checked first); audited."""
    settings = loop_settings(session, workspace)
    if calendar is not None:
        BusinessCalendar.from_config(calendar, workspace.timezone)  # refuses a bad one
        settings.calendar = calendar
    if sla is not None:
        _check_sla(sla)
        settings.sla = sla
    if root_causes_list is not None:
        settings.root_causes = _check_root_causes(root_causes_list)
    if settings.id is None:
        session.add(settings)
    session.flush()
    record_audit(session, workspace, actor, "loop.settings", "loop_settings")
    return settings


def _check_sla(sla: dict[str, Any]) -> None:
    try:
        policy = _policy(sla)
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(
            "SLA settings need, per priority 1-4, first_response_hours and resolution_hours "
            '(e.g. {"priorities": {"1": {"first_response_hours": 1, "resolution_hours": 8}}}).',
            "SLA は優先度(1〜4)ごとに first_response_hours と resolution_hours を数値で指定して"
            "ください。",
        ) from None
    for priority, (first, resolve) in policy.hours.items():
        if priority not in PRIORITIES or not 0 < first <= resolve <= 24 * 365:
            raise InvalidInput(
                f"Priority {priority}: the first response ({first} h) must come before the "
                f"resolution ({resolve} h), both above zero.",
                f"優先度 {priority}: 初回対応({first} 時間)は解決({resolve} 時間)以下の正の値に"
                "してください。",
            )
    if not 0.1 <= policy.warn_ratio < 1:
        raise InvalidInput(
            "warn_ratio is the share of the time used before a warning, between 0.1 and 0.99.",
            "warn_ratio(警告を出す経過割合)は 0.1〜0.99 にしてください。",
        )


def _check_root_causes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        code = str(item.get("code") or "").strip()
        ja, en = str(item.get("ja") or "").strip(), str(item.get("en") or "").strip()
        if not code or not ja or not en or len(code) > 64:
            raise InvalidInput(
                "Each root cause needs a code (up to 64 characters) and a Japanese and an "
                "English name.",
                "原因分類には code(64文字以内)と日本語名・英語名が必要です。",
            )
        out.append({"code": code, "ja": ja, "en": en})
    return out
