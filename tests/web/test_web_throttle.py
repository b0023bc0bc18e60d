"""Login throttle: blocks after too many failures, lets the user in again when the window passes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import LoginFailure
from kizuna.web.throttle import LoginThrottle

# Far from the clock of the tests that log in for real, whose failures share the table.
START = dt.datetime(2100, 1, 1, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def test_failures_block_until_the_window_passes_and_success_resets(kz: Kizuna) -> None:
    throttle = LoginThrottle("test secret", max_failures=3, window_seconds=60)
    someone = f"203.0.113.7|{uuid.uuid4().hex}@example.com"
    other = f"203.0.113.7|{uuid.uuid4().hex}@example.com"
    for second in (0.0, 1.0, 2.0):
        with kz.session() as session:
            assert throttle.wait_seconds(session, someone, now=at(second)) == 0
            throttle.record_failure(session, someone, now=at(second))
    # Another web process (its own throttle object, the same database) sees the same window.
    elsewhere = LoginThrottle("test secret", max_failures=3, window_seconds=60)
    with kz.session() as session:
        assert elsewhere.wait_seconds(session, someone, now=at(3.0)) == 57
        assert elsewhere.wait_seconds(session, other, now=at(3.0)) == 0  # others not blocked
        assert elsewhere.wait_seconds(session, someone, now=at(60.5)) == 0  # the first expired
        throttle.reset(session, someone)
        assert throttle.wait_seconds(session, someone, now=at(3.5)) == 0


def test_stored_failures_name_neither_address_nor_email_and_do_not_pile_up(kz: Kizuna) -> None:
    throttle = LoginThrottle("test secret", max_failures=3, window_seconds=60)
    email = f"{uuid.uuid4().hex}@example.com"
    with kz.session() as session:
        throttle.record_failure(session, f"198.51.100.1|{email}", now=at(0))
        throttle.record_failure(session, f"198.51.100.1|{email}", now=at(120))  # first expired
        digests = session.scalars(
            select(LoginFailure.key_digest).where(LoginFailure.failed_at >= at(0))
        ).all()
    assert len(digests) == 1
    assert email not in digests[0] and "198.51.100.1" not in digests[0]
