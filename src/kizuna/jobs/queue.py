"""Putting work on the job table, and the registry of what runs it.

A job's payload is a typed model, a `JobPayload` subclass naming its `kind`:

    class ScoreCustomers(JobPayload):
        kind: ClassVar[str] = "customers.score"
        as_of: dt.date | None = None

    @job_handler(ScoreCustomers)
    def score(kz: Kizuna, job: Job, payload: ScoreCustomers) -> None: ...

    enqueue(session, ScoreCustomers(), workspace_id=ws.id, key=f"score:{ws.id}:{day}")

`enqueue` adds a row in the caller's transaction, so a job exists exactly when the data
that needs it was committed (the outbox pattern). A `key` makes it idempotent: the same
key enqueued twice is one job, run once. Higher `priority` runs first. The worker
validates the stored payload back into its model before calling the handler.

Handlers are found through the feature registry (`Feature.jobs` names the modules that
register them) or modules a worker imports (`kizuna worker --import`). This module never
runs a job: that is `kizuna.jobs.worker`.

Handlers must be idempotent: a worker that dies after the handler committed but before
it recorded the job as done leaves the job to be run again (at-least-once delivery).
Subscribers of domain events get exactly-once effects through `kizuna.jobs.events`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.jobs.models import JOB_STATES, Job

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = [
    "USE_SETTING",
    "HandlerSpec",
    "JobPayload",
    "KeyedJob",
    "PayloadMismatch",
    "UnknownJobKind",
    "effective_max_attempts",
    "enqueue",
    "enqueue_keyed",
    "get_handler",
    "job_counts",
    "job_handler",
    "load_builtin_handlers",
    "notify_channel",
    "registered_kinds",
]

# Stored in `job.max_attempts` when the caller gave none: the worker that runs the job
# applies its own KIZUNA_JOB_MAX_ATTEMPTS (enqueue has a session, not the settings).
USE_SETTING = 0
KEY_MAX_LENGTH = 200
_KIND_MAX_LENGTH = 100
NOTIFY_CHANNEL = "kizuna_jobs"
_JOB = cast(Table, Job.__table__)
_BATCH_ROWS = 500


class JobPayload(BaseModel):
    """A job's typed payload; subclasses set `kind` and their fields (JSON-able values)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]


P = TypeVar("P", bound=JobPayload)


@dataclass(frozen=True)
class HandlerSpec(Generic[P]):
    """A kind's payload model and the function that runs it."""

    payload: type[P]
    run: Callable[[Kizuna, Job, P], None]

    @property
    def qualified_name(self) -> str:
        module = getattr(self.run, "__module__", "?")
        return f"{module}.{getattr(self.run, '__qualname__', repr(self.run))}"

    def parse(self, job: Job) -> P:
        """The stored payload as its model; InvalidInput when it no longer fits."""
        try:
            return self.payload.model_validate(job.payload)
        except ValidationError as exc:
            raise PayloadMismatch(
                f"The payload of job #{job.id} ({job.kind}) does not fit "
                f"{self.payload.__name__} ({exc.error_count()} error(s)); it was probably "
                "queued by another version of Kizuna. Enqueue the work again.",
                f"ジョブ #{job.id}({job.kind})のペイロードが {self.payload.__name__} に"
                "合いません。別バージョンの Kizuna が登録した可能性があります。もう一度登録してください。",
                kind=job.kind,
            ) from None


_handlers: dict[str, HandlerSpec[Any]] = {}


class PayloadMismatch(InvalidInput):
    """A stored payload no longer fits its kind's model (the job is dead, not retried)."""

    code = "payload_mismatch"


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


def job_handler(
    payload: type[P],
) -> Callable[[Callable[[Kizuna, Job, P], None]], Callable[[Kizuna, Job, P], None]]:
    """Register the decorated function as the handler of jobs whose payload is `payload`."""
    kind = getattr(payload, "kind", "")
    _check_kind(kind)

    def register(run: Callable[[Kizuna, Job, P], None]) -> Callable[[Kizuna, Job, P], None]:
        spec = HandlerSpec(payload, run)
        known = _handlers.get(kind)
        # Re-importing a module re-registers the same function; only a rival is a conflict.
        if known is not None and known.qualified_name != spec.qualified_name:
            raise Conflict(
                f"Job kind '{kind}' already has the handler {known.qualified_name}; "
                "give the new payload another kind.",
                f"ジョブ種別「{kind}」には既に処理 {known.qualified_name} が登録されています。"
                "新しいペイロードには別の種別名を付けてください。",
                kind=kind,
            )
        _handlers[kind] = spec
        return run

    return register


def load_builtin_handlers() -> None:
    """Import every feature's job modules (the registry's `Feature.jobs`)."""
    from kizuna.features import job_modules

    for module in job_modules():
        importlib.import_module(module)


def get_handler(kind: str) -> HandlerSpec[Any]:
    """The handler registered for `kind`; raises `UnknownJobKind` when there is none."""
    if kind not in _handlers:
        load_builtin_handlers()
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def registered_kinds() -> list[str]:
    """Every kind this process can run (the features' included), sorted."""
    load_builtin_handlers()
    return sorted(_handlers)


def enqueue(
    session: Session,
    payload: JobPayload,
    *,
    workspace_id: int | None = None,
    key: str | None = None,
    priority: int = 0,
    run_after: dt.datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job in the caller's transaction; it becomes visible to workers on commit.

    With a `key`, a job already stored under it is returned instead and nothing is added.
    `run_after` (aware) delays the first run; `max_attempts` defaults to the worker's
    KIZUNA_JOB_MAX_ATTEMPTS. Payloads hold ids rather than personal data where possible.
    """
    values = _job_values(payload, workspace_id, key, priority, run_after, max_attempts)
    if key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
    else:
        job = _insert_keyed(session, key, values)
    _notify(session)
    return job


@dataclass(frozen=True)
class KeyedJob:
    """One job for `enqueue_keyed`: its payload and `enqueue`'s options, a key required."""

    payload: JobPayload
    key: str
    workspace_id: int | None = None
    priority: int = 0
    run_after: dt.datetime | None = None
    max_attempts: int | None = None


def enqueue_keyed(session: Session | Connection, jobs: Sequence[KeyedJob]) -> int:
    """Add many keyed jobs in the caller's transaction, `enqueue`'s rules for each; returns how
    many were added (a key already stored, or repeated in `jobs`, adds nothing).

    One multi-row INSERT ... ON CONFLICT (key) DO NOTHING per few hundred jobs and one wake-up
    for the workers, where `enqueue` costs an INSERT, a SELECT and a NOTIFY per job. Core
    statements on the session's connection: no ORM objects.
    """
    rows = [
        _job_values(j.payload, j.workspace_id, j.key, j.priority, j.run_after, j.max_attempts)
        for j in jobs
    ]
    if not rows:
        return 0
    conn = session.connection() if isinstance(session, Session) else session
    statement = _insert_ignoring(conn, ["key"]).returning(_JOB.c.id)
    added = 0
    for start in range(0, len(rows), _BATCH_ROWS):
        added += len(conn.execute(statement, rows[start : start + _BATCH_ROWS]).all())
    _notify(conn)
    return added


def _job_values(
    payload: JobPayload,
    workspace_id: int | None,
    key: str | None,
    priority: int,
    run_after: dt.datetime | None,
    max_attempts: int | None,
) -> dict[str, Any]:
    """The row of a job, after checking what the caller gave."""
    kind = getattr(payload, "kind", "")
    _check_kind(kind)
    if not isinstance(payload, JobPayload):
        raise InvalidInput(
            f"A job's payload must be a JobPayload model (got {type(payload).__name__}).",
            f"ジョブのペイロードは JobPayload のモデルにしてください({type(payload).__name__})。",
        )
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
    if key is not None and not 0 < len(key) <= KEY_MAX_LENGTH:
        raise InvalidInput(
            f"A job key is 1 to {KEY_MAX_LENGTH} characters (got {len(key)}).",
            f"ジョブのキーは 1〜{KEY_MAX_LENGTH} 文字にしてください(指定 {len(key)} 文字)。",
        )
    now = utcnow()
    return {
        "kind": kind,
        "key": key,
        "priority": priority,
        "payload": payload.model_dump(mode="json"),
        "workspace_id": workspace_id,
        "state": "queued",
        "attempts": 0,
        "max_attempts": USE_SETTING if max_attempts is None else max_attempts,
        "run_after": run_after if run_after is not None else now,
        "created_at": now,
    }


def _insert_ignoring(conn: Connection, unique: list[str]) -> Any:
    """INSERT INTO job ... ON CONFLICT (unique) DO NOTHING, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(_JOB).on_conflict_do_nothing(index_elements=unique)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_JOB).on_conflict_do_nothing(index_elements=unique)


def _insert_keyed(session: Session, key: str, values: dict[str, Any]) -> Job:
    """Insert unless a job holds the key (INSERT ... ON CONFLICT DO NOTHING); the stored job."""
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = (
            sqlite_insert(Job).values(**values).on_conflict_do_nothing(index_elements=["key"])
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        statement = insert(Job).values(**values)
    session.execute(statement)
    return session.scalars(select(Job).where(Job.key == key)).one()


def _notify(session: Session | Connection) -> None:
    """On PostgreSQL, wake listening workers when the transaction commits."""
    conn = session.connection() if isinstance(session, Session) else session
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


def notify_channel() -> str:
    return NOTIFY_CHANNEL


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
            f"A job kind is 1 to {_KIND_MAX_LENGTH} characters (got {len(kind)}); set the "
            "payload class's `kind`.",
            f"ジョブ種別は 1〜{_KIND_MAX_LENGTH} 文字にしてください(指定 {len(kind)} 文字)。"
            "ペイロードクラスの kind を設定してください。",
        )
