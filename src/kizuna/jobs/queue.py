"""Putting work on the job table, and the registry of what runs it.

`enqueue` adds a row in the caller's transaction, so a job exists exactly when the data
that needs it was committed (the outbox pattern). Handlers are plain functions
`(kz, job) -> None` registered under a kind with `@job_handler("kind")`; a worker looks
them up with `get_handler`. This module never runs a job: that is `kizuna.jobs.worker`.

Handlers must be idempotent: a worker that dies after the handler committed but before
it recorded the job as done leaves the job to be run again (at-least-once delivery).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.jobs.models import JOB_STATES, Job

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = [
    "USE_SETTING",
    "JobHandler",
    "UnknownJobKind",
    "effective_max_attempts",
    "enqueue",
    "get_handler",
    "job_counts",
    "job_handler",
    "load_builtin_handlers",
    "registered_kinds",
]

JobHandler: TypeAlias = "Callable[[Kizuna, Job], None]"

# Stored in `job.max_attempts` when the caller gave none: the worker that runs the job
# applies its own KIZUNA_JOB_MAX_ATTEMPTS (enqueue has a session, not the settings).
USE_SETTING = 0

_KIND_MAX_LENGTH = 100
_handlers: dict[str, JobHandler] = {}


class UnknownJobKind(NotFound):
    """No handler is registered for a job's kind in this process."""

    code = "unknown_job_kind"

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"No handler is registered for job kind '{kind}'. Start the worker with the "
            "module that defines it, e.g. `kizuna worker --import your.module`.",
            f"ジョブ種別「{kind}」の処理が登録されていません。定義しているモジュールを指定して"
            "ワーカーを起動してください(例: `kizuna worker --import your.module`)。",
            kind=kind,
        )


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of jobs of `kind`."""
    _check_kind(kind)

    def register(handler: JobHandler) -> JobHandler:
        known = _handlers.get(kind)
        # Re-importing a module re-registers the same function; only a rival is a conflict.
        if known is not None and _qualified_name(known) != _qualified_name(handler):
            raise Conflict(
                f"Job kind '{kind}' already has the handler {_qualified_name(known)}; "
                "give the new handler another kind.",
                f"ジョブ種別「{kind}」には既に処理 {_qualified_name(known)} が登録されています。"
                "新しい処理には別の種別名を付けてください。",
                kind=kind,
            )
        _handlers[kind] = handler
        return handler

    return register


# Rooms whose handlers every worker can run without `--import`; loaded on first need,
# so importing the queue never drags in the text engine.
BUILTIN_HANDLER_MODULES = ("kizuna.text.service",)


def load_builtin_handlers() -> None:
    for module in BUILTIN_HANDLER_MODULES:
        importlib.import_module(module)


def get_handler(kind: str) -> JobHandler:
    """The handler registered for `kind`; raises `UnknownJobKind` when there is none."""
    if kind not in _handlers:
        load_builtin_handlers()
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def registered_kinds() -> list[str]:
    """Every kind this process can run (built-in rooms' included), sorted."""
    load_builtin_handlers()
    return sorted(_handlers)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    workspace_id: int | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job in the caller's transaction; it becomes visible to workers on commit.

    `payload` must be JSON (ids rather than personal data where possible). `run_after`
    (aware) delays the first run; `max_attempts` defaults to the worker's
    KIZUNA_JOB_MAX_ATTEMPTS.
    """
    _check_kind(kind)
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"The payload of a '{kind}' job is not JSON ({type(exc).__name__}); pass ids, "
            "strings and numbers (dates as ISO strings).",
            f"ジョブ「{kind}」のペイロードが JSON にできません({type(exc).__name__})。"
            "ID・文字列・数値を渡してください(日付は ISO 形式の文字列)。",
            kind=kind,
        ) from None
    if run_after is not None and run_after.tzinfo is None:
        raise InvalidInput(
            "run_after has no time zone; pass an aware datetime (e.g. datetime.now(UTC)).",
            "run_after にタイムゾーンがありません。タイムゾーン付きの日時を渡してください。",
        )
    if max_attempts is not None and max_attempts < 1:
        raise InvalidInput(
            f"max_attempts must be 1 or more (got {max_attempts}).",
            f"max_attempts は 1 以上にしてください(指定値 {max_attempts})。",
        )
    job = Job(
        kind=kind,
        payload=payload,
        workspace_id=workspace_id,
        state="queued",
        attempts=0,
        max_attempts=USE_SETTING if max_attempts is None else max_attempts,
        run_after=run_after if run_after is not None else utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def effective_max_attempts(job: Job, default: int) -> int:
    """The attempt limit of `job`: its own, or `default` (the setting) when it has none."""
    return job.max_attempts if job.max_attempts > USE_SETTING else default


def job_counts(session: Session, workspace_id: int | None = None) -> dict[str, int]:
    """Jobs by state (every state present, zero when empty); one workspace's when given."""
    query = select(Job.state, func.count()).group_by(Job.state)
    if workspace_id is not None:
        query = query.where(Job.workspace_id == workspace_id)
    counts = dict.fromkeys(JOB_STATES, 0)
    for state, count in session.execute(query):
        counts[state] = count
    return counts


def _check_kind(kind: str) -> None:
    if not kind or len(kind) > _KIND_MAX_LENGTH:
        raise InvalidInput(
            f"A job kind is 1 to {_KIND_MAX_LENGTH} characters (got {len(kind)}).",
            f"ジョブ種別は 1〜{_KIND_MAX_LENGTH} 文字にしてください(指定 {len(kind)} 文字)。",
        )


def _qualified_name(handler: JobHandler) -> str:
    module = getattr(handler, "__module__", "?")
    return f"{module}.{getattr(handler, '__qualname__', repr(handler))}"
