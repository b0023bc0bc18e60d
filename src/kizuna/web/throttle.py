"""Login rate limiting: a sliding window of failed attempts per client address and e-mail.

Failures are rows of `login_failure` in the operational database, so every web process
(and a restarted one) counts the same window. A row holds an HMAC of the address and the
e-mail typed, keyed by the throttle's own key (derived from the secret), never either of them; rows older than
the window are deleted whenever a failure is recorded. Two guesses racing each other may
both get through at the limit; the window still holds the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import LoginFailure
from kizuna.db.base import utcnow

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """At most `max_failures` failed logins per key within `window_seconds`."""

    def __init__(
        self, secret: bytes | str, max_failures: int = 10, window_seconds: float = 300.0
    ) -> None:
        self._secret = secret if isinstance(secret, bytes) else secret.encode()
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window_seconds)

    def wait_seconds(self, session: Session, key: str, now: dt.datetime | None = None) -> int:
        """Seconds until this key may try again; 0 when it may try now."""
        now = now or utcnow()
        recent = session.scalars(
            select(LoginFailure.failed_at)
            .where(LoginFailure.key_digest == self._digest(key))
            .where(LoginFailure.failed_at > now - self.window)
            .order_by(LoginFailure.failed_at)
            .limit(self.max_failures)
        ).all()
        if len(recent) < self.max_failures:
            return 0
        return max(1, int((recent[0] + self.window - now).total_seconds()))

    def record_failure(self, session: Session, key: str, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - self.window))
        session.add(LoginFailure(key_digest=self._digest(key), failed_at=now))
        session.flush()

    def reset(self, session: Session, key: str) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.key_digest == self._digest(key)))

    def _digest(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()
