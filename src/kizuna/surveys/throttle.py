"""Rate limits of answering: submissions per client address and survey per minute.

A sliding window of the last minute in this process (several web processes each count
their own); the limit is the workspace's `survey_policy.rate_limit_per_minute` (0: none),
read at most every 30 seconds. The address is kept as an HMAC under the throttle's key,
never as written.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from typing import Any

from starlette.requests import Request

from kizuna.errors import KizunaError
from kizuna.surveys.service import get_policy
from kizuna.surveys.viewing import survey_for_page

__all__ = ["TooManyAnswers", "limited"]


class TooManyAnswers(KizunaError):
    code = "too_many_answers"
    status = 429

    def __init__(self) -> None:
        super().__init__(
            "Too many answers from your network just now. Wait a minute and send again.",
            "短時間に多くの回答が送られました。1分ほど待ってからもう一度送ってください。",
        )


class _Window:
    """Submissions per client address and survey in the last minute (this process)."""

    def __init__(self) -> None:
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()
        self.limits: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, limit: int, now: float) -> bool:
        with self.lock:
            times = self.seen.setdefault(key, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= limit:
                return True
            times.append(now)
            if len(self.seen) > 50_000:  # forget idle clients
                for stale in [k for k, v in self.seen.items() if not v or v[-1] <= now - 60]:
                    del self.seen[stale]
            return False


_window = _Window()


def limited(request: Request, survey_key: str, token: str | None) -> bool:
    kz = request.app.state.kz
    now = time.monotonic()
    limit = _limit_of(kz, survey_key, token, now)
    if limit <= 0:
        return False
    client = request.client.host if request.client else "unknown"
    digest = hmac.new(
        kz.settings.signing_key("throttle"), client.encode(), hashlib.sha256
    ).hexdigest()[:32]
    return _window.hit(f"{digest}:{survey_key}", limit, now)


def _limit_of(kz: Any, survey_key: str, token: str | None, now: float) -> int:
    cached = _window.limits.get(survey_key)
    if cached is not None and cached[1] > now:
        return cached[0]
    limit = 60
    if token is None:
        with kz.session() as session:
            survey = survey_for_page(session, survey_key)
            if survey is not None:
                limit = get_policy(session, survey.workspace_id).rate_limit_per_minute
    _window.limits[survey_key] = (limit, now + 30)
    return limit
