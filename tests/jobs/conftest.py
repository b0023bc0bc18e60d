"""Fixtures of the jobs room: test handlers registered, and no test job outliving its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jobs_handlers_fixture import TEST_KINDS
from sqlalchemy import delete

from kizuna import Kizuna
from kizuna.jobs.models import Job


@pytest.fixture(autouse=True)
def forget_test_jobs(kz: Kizuna) -> Iterator[None]:
    """Delete this room's test jobs after each test, so no later worker meets them."""
    yield
    with kz.session() as session:
        session.execute(delete(Job).where(Job.kind.in_(TEST_KINDS)))
