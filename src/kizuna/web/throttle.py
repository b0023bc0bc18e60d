"""Login rate limiting: a sliding window of failed attempts per client address and e-mail.

In memory, per process: enough to slow password guessing against one web process; several
workers each keep their own window (documented limit, no shared store needed to start).
"""

from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """At most `max_failures` failed logins per key within `window_seconds`."""

    def __init__(self, max_failures: int = 10, window_seconds: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, key: str, now: float | None = None) -> int:
        """Seconds until this key may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._prune(key, now)
            if not failures:
                # Forget quiet keys so the table stays as small as the recent failures.
                del self._failures[key]
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window_seconds - now))

    def record_failure(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        return failures
