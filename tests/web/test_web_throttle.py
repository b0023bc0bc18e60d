"""Login throttle: blocks after too many failures, lets the user in again when the window passes."""

from __future__ import annotations

from kizuna.web.throttle import LoginThrottle


def test_failures_block_until_the_window_passes_and_success_resets() -> None:
    throttle = LoginThrottle(max_failures=3, window_seconds=60)
    for second in (0.0, 1.0, 2.0):
        assert throttle.wait_seconds("ip|a@example.com", now=second) == 0
        throttle.record_failure("ip|a@example.com", now=second)
    assert throttle.wait_seconds("ip|a@example.com", now=3.0) == 57
    assert throttle.wait_seconds("ip|b@example.com", now=3.0) == 0  # other people are not blocked
    assert throttle.wait_seconds("ip|a@example.com", now=60.5) == 0  # the first failure expired
    throttle.reset("ip|a@example.com")
    assert throttle.wait_seconds("ip|a@example.com", now=61.0) == 0
