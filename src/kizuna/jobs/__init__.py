"""Jobs: a durable job table and the worker that runs it.

Work is enqueued in the caller's transaction (`enqueue`), run by a handler registered
with `@job_handler("kind")`, and worked by `Worker` (a `kizuna worker` process) or
`EmbeddedWorker` (a thread of the web app). States: queued -> running -> done; a failed
run waits as 'failed' until its backoff ends; after max attempts, or for a kind nobody
handles, the job is 'dead' with its last error kept.
"""

from kizuna.jobs.queue import (
    UnknownJobKind,
    enqueue,
    get_handler,
    job_counts,
    job_handler,
    registered_kinds,
)
from kizuna.jobs.worker import EmbeddedWorker, JobOutcome, Worker

__all__ = [
    "EmbeddedWorker",
    "JobOutcome",
    "UnknownJobKind",
    "Worker",
    "enqueue",
    "get_handler",
    "job_counts",
    "job_handler",
    "registered_kinds",
]
