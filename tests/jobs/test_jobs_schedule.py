"""Recurring jobs: cron lines in the workspace's time zone, each due run enqueued once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jobs_handlers_fixture import TEST_KINDS, Count
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.jobs.models import Job, JobSchedule
from kizuna.jobs.schedule import (
    ensure_schedule,
    next_run,
    parse_cron,
    run_due_schedules,
    sync_feature_schedules,
)
from kizuna.jobs.worker import Worker

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TOKYO)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("line", "after", "expected"),
    [
        # weekdays at 09:00 Tokyo: from Friday 10:00 the next is Monday 09:00
        ("0 9 * * 1-5", tokyo(2026, 12, 4, 10, 0), tokyo(2026, 12, 7, 9, 0)),
        # strictly after: at 09:00 exactly, the next day
        ("0 9 * * *", tokyo(2026, 12, 2, 9, 0), tokyo(2026, 12, 3, 9, 0)),
        # every 15 minutes
        ("*/15 * * * *", tokyo(2026, 12, 2, 9, 7), tokyo(2026, 12, 2, 9, 15)),
        # day 1 OR Monday when both day fields are restricted (Vixie cron)
        ("30 3 1 * 1", tokyo(2026, 12, 2, 0, 0), tokyo(2026, 12, 7, 3, 30)),
        # 29 February: the next leap year
        ("0 0 29 2 *", tokyo(2026, 3, 1, 0, 0), tokyo(2028, 2, 29, 0, 0)),
        # year-end: 31 December 23:59 then New Year 00:00
        ("0 0 * * *", tokyo(2026, 12, 31, 23, 59), tokyo(2027, 1, 1, 0, 0)),
        # Sunday as 7
        ("0 8 * * 7", tokyo(2026, 12, 2, 0, 0), tokyo(2026, 12, 6, 8, 0)),
    ],
)
def test_next_run_reads_the_line_in_the_workspace_time_zone(
    line: str, after: dt.datetime, expected: dt.datetime
) -> None:
    found = next_run(line, after, "Asia/Tokyo")
    assert found == expected
    assert found.tzinfo == dt.UTC


def test_daylight_saving_zones_run_each_wall_time_once() -> None:
    # New York, 8 March 2026: 02:00 -> 03:00. 02:30 does not exist that day.
    zone = ZoneInfo("America/New_York")
    skipped = next_run("30 2 * * *", dt.datetime(2026, 3, 8, 0, 0, tzinfo=zone), "America/New_York")
    assert skipped.astimezone(zone).date() == dt.date(2026, 3, 8)
    # 1 November 2026: 01:30 happens twice; the job runs at the first, then the next day.
    first = next_run("30 1 * * *", dt.datetime(2026, 11, 1, 0, 0, tzinfo=zone), "America/New_York")
    again = next_run("30 1 * * *", first, "America/New_York")
    assert first.astimezone(zone).hour == 1 and first.astimezone(zone).fold == 0
    assert again.astimezone(zone).date() == dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    "line", ["0 9 * *", "61 * * * *", "0 9 * * mon", "*/0 * * * *", "0 9 31 2 *"]
)
def test_bad_lines_are_refused_saying_what_and_how(line: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        next_run(parse_cron(line), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "Asia/Tokyo")
    assert "0 9 * * 1-5" in refused.value.message("en")
    assert "cron" in refused.value.message("ja")


def test_a_due_schedule_is_enqueued_once_even_by_two_workers(kz: Kizuna, ws: Any) -> None:
    wid = ws.workspace.id
    start = tokyo(2026, 12, 2, 8, 0)
    with kz.session() as session:
        schedule = ensure_schedule(
            session,
            "test.count",
            Count(),
            "0 9 * * *",
            workspace_id=wid,
            timezone="Asia/Tokyo",
            now=start,
        )
    assert schedule.next_run_at == tokyo(2026, 12, 2, 9, 0)
    due = tokyo(2026, 12, 2, 9, 0, 30)
    with kz.session() as session:
        made = run_due_schedules(session, now=due)
    with kz.session() as session:  # a second worker checking the same minute
        again = run_due_schedules(session, now=due)
    assert len([j for j in made if j]) >= 1 and again == []
    with kz.session() as session:
        jobs = session.scalars(
            select(Job).where(Job.workspace_id == wid, Job.kind == Count.kind)
        ).all()
        stored = session.get_one(JobSchedule, schedule.id)
    assert len(jobs) == 1 and jobs[0].key == f"schedule:{schedule.id}:20261202T0000"
    assert stored.next_run_at == tokyo(2026, 12, 3, 9, 0)
    assert stored.last_run_at == tokyo(2026, 12, 2, 9, 0)
    # A worker down for three days catches up with one run, not three.
    with kz.session() as session:
        run_due_schedules(session, now=tokyo(2026, 12, 6, 12, 0))
        count = session.scalar(
            select(func.count()).where(Job.workspace_id == wid, Job.kind == Count.kind)
        )
        moved = session.get_one(JobSchedule, schedule.id).next_run_at
    assert count == 2 and moved == tokyo(2026, 12, 7, 9, 0)
    assert Worker(kz, "w-sched", kinds=TEST_KINDS).run_burst() == 2


def test_a_switched_off_schedule_does_not_run(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        schedule = ensure_schedule(
            session,
            "test.off",
            Count(),
            "* * * * *",
            workspace_id=ws.workspace.id,
            timezone="Asia/Tokyo",
            now=tokyo(2026, 12, 2, 8, 0),
        )
        schedule.enabled = False
    with kz.session() as session:
        assert run_due_schedules(session, now=tokyo(2026, 12, 2, 9, 0)) == []


def test_every_workspace_gets_the_features_schedules_in_its_own_zone(
    kz: Kizuna, make_workspace: Any
) -> None:
    paris = make_workspace("paris")
    with kz.session() as session:
        session.get_one(type(paris.workspace), paris.workspace.id).timezone = "Europe/Paris"
    sync_feature_schedules(kz, now=dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC))
    sync_feature_schedules(kz, now=dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC))  # idempotent
    with kz.session() as session:
        found = session.scalars(
            select(JobSchedule).where(JobSchedule.workspace_id == paris.workspace.id)
        ).all()
    (nightly,) = [s for s in found if s.name == "customers.score-nightly"]
    assert (nightly.kind, nightly.timezone, nightly.cron) == (
        "customers.score",
        "Europe/Paris",
        "30 3 * * *",
    )
    local = nightly.next_run_at.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 12, 2), 3, 30)
