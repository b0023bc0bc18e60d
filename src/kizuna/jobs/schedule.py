"""Recurring jobs: cron lines read in a workspace's time zone, enqueued once per due time.

A cron line has five fields, minute hour day-of-month month day-of-week, each `*`, a
number, a range `a-b`, a list `a,b` or a step `*/n` / `a-b/n` (day-of-week 0-6 with 0 =
Sunday; 7 is Sunday too). As in Vixie cron, when both day fields are restricted a day
matches either. Times are wall-clock times in the schedule's zone: "0 9 * * 1-5" is
09:00 on weekdays in Tokyo for a Tokyo workspace. A wall time that a daylight-saving jump
skips runs as late as the jump; a repeated one runs once, the first time.

`run_due_schedules` is called by workers: each due schedule is enqueued under the key
`schedule:<id>:<due time>` and its next time computed, in one transaction, so two workers
checking at once enqueue the run once. A worker down for a day catches up with one run,
not one per missed time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput
from kizuna.jobs.models import JobSchedule
from kizuna.jobs.queue import JobPayload, enqueue, get_handler

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = [
    "CronSpec",
    "ensure_schedule",
    "next_run",
    "parse_cron",
    "run_due_schedules",
    "sync_feature_schedules",
]

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_SEARCH_DAYS = 366 * 5


@dataclass(frozen=True)
class CronSpec:
    """The sets of minutes, hours, days, months and weekdays a cron line allows."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def day_matches(self, day: dt.date) -> bool:
        weekday = (day.weekday() + 1) % 7
        if day.month not in self.months:
            return False
        in_days, in_weekdays = day.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return in_days and in_weekdays
        return in_days or in_weekdays


def _bad_cron(line: str, why_en: str, why_ja: str) -> InvalidInput:
    return InvalidInput(
        f"'{line}' is not a cron line: {why_en}. Write five fields, minute hour day month "
        "weekday, such as '0 9 * * 1-5' (09:00 on weekdays).",
        f"「{line}」は cron の形式ではありません({why_ja})。「分 時 日 月 曜日」の5項目で"
        "書いてください(例: '0 9 * * 1-5' は平日9時)。",
        cron=line,
    )


def _parse_field(line: str, text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = low, high
            elif "-" in body:
                first, last = body.split("-", 1)
                start, end = int(first), int(last)
            else:
                start = end = int(body)
                if step_text:
                    end = high
        except ValueError:
            raise _bad_cron(line, f"'{part}' in the {name} field", f"{name} の「{part}」") from None
        if step < 1 or start < low or end > high or start > end:
            raise _bad_cron(
                line,
                f"{name} allows {low}-{high} (got '{part}')",
                f"{name} は {low}〜{high} です(「{part}」)",
            )
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(line: str) -> CronSpec:
    """The spec of a five-field cron line; InvalidInput saying what is wrong otherwise."""
    parts = line.split()
    if len(parts) != 5:
        raise _bad_cron(line, f"it has {len(parts)} fields", f"項目が {len(parts)} 個です")
    sets = [
        _parse_field(line, text, name, low, high)
        for text, (name, low, high) in zip(parts, _FIELDS, strict=True)
    ]
    weekdays = frozenset(d % 7 for d in sets[4])
    return CronSpec(
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


def next_run(cron: str | CronSpec, after: dt.datetime, timezone: str) -> dt.datetime:
    """The first time strictly after `after` (aware) that the line names, in UTC."""
    spec = parse_cron(cron) if isinstance(cron, str) else cron
    zone = _zone(timezone)
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(_SEARCH_DAYS):
        if spec.day_matches(day):
            for hour in sorted(spec.hours):
                for minute in sorted(spec.minutes):
                    wall = dt.datetime.combine(day, dt.time(hour, minute))
                    moment = _resolve(wall, zone)
                    if moment > after:
                        return moment.astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    raise _bad_cron(str(cron), "it never matches a real date", "実在する日付に一致しません")


def _resolve(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall time as an aware moment: the first of a repeated hour (fold 0); a time that a
    jump forward skipped keeps its offset from before the jump (it runs that much later)."""
    return wall.replace(tzinfo=zone, fold=0)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"'{name}' is not a time zone; use an IANA name such as Asia/Tokyo.",
            f"「{name}」はタイムゾーンではありません。Asia/Tokyo のような IANA 名を指定してください。",
        ) from None


def ensure_schedule(
    session: Session,
    name: str,
    payload: JobPayload,
    cron: str,
    *,
    workspace_id: int | None,
    timezone: str,
    now: dt.datetime | None = None,
) -> JobSchedule:
    """Create the schedule, or update its line, zone and payload (keeping its on/off switch)."""
    parse_cron(cron)
    now = now or utcnow()
    found = session.scalar(
        select(JobSchedule).where(
            JobSchedule.workspace_id.is_(None)
            if workspace_id is None
            else JobSchedule.workspace_id == workspace_id,
            JobSchedule.name == name,
        )
    )
    body = payload.model_dump(mode="json")
    if found is None:
        found = JobSchedule(
            workspace_id=workspace_id,
            name=name,
            kind=payload.kind,
            payload=body,
            cron=cron,
            timezone=timezone,
            next_run_at=next_run(cron, now, timezone),
        )
        session.add(found)
    elif (found.cron, found.timezone, found.kind, found.payload) != (
        cron,
        timezone,
        payload.kind,
        body,
    ):
        found.cron, found.timezone, found.kind, found.payload = cron, timezone, payload.kind, body
        found.next_run_at = next_run(cron, now, timezone)
    session.flush()
    return found


def sync_feature_schedules(kz: Kizuna, now: dt.datetime | None = None) -> int:
    """Give every workspace the schedules its features declare; returns schedules touched."""
    from kizuna.accounts.models import Workspace
    from kizuna.features import schedules

    specs = schedules()
    if not specs:
        return 0
    touched = 0
    with kz.session() as session:
        for workspace in session.scalars(select(Workspace)):
            for spec in specs:
                payload = get_handler(spec.kind).payload.model_validate(spec.payload)
                ensure_schedule(
                    session,
                    spec.name,
                    payload,
                    spec.cron,
                    workspace_id=workspace.id,
                    timezone=workspace.timezone,
                    now=now,
                )
                touched += 1
    return touched


def run_due_schedules(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Enqueue every due, enabled schedule once and move it on; the ids of the jobs made."""
    now = now or utcnow()
    query: Any = (
        select(JobSchedule)
        .where(JobSchedule.enabled.is_(True), JobSchedule.next_run_at <= now)
        .order_by(JobSchedule.next_run_at)
        .limit(100)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    made: list[int] = []
    for schedule in session.scalars(query):
        due = schedule.next_run_at
        payload = get_handler(schedule.kind).payload.model_validate(schedule.payload)
        job = enqueue(
            session,
            payload,
            workspace_id=schedule.workspace_id,
            key=f"schedule:{schedule.id}:{due:%Y%m%dT%H%M}",
        )
        made.append(job.id)
        schedule.last_run_at = due
        schedule.next_run_at = next_run(schedule.cron, max(now, due), schedule.timezone)
    session.flush()
    return made
