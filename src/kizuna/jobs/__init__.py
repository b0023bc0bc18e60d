"""Jobs: a durable job table, recurring schedules, domain events, and the worker.

Work is enqueued in the caller's transaction (`enqueue`) as a typed `JobPayload`, run by
a handler registered with `@job_handler(PayloadClass)`, and worked by `Worker` (a
`kizuna worker` process) or `EmbeddedWorker` (a thread of the web app). States: queued ->
running -> done; a failed run waits as 'failed' until its backoff ends; after max
attempts, or for a kind nobody handles, the job is 'dead' with its last error kept.
Events (`kizuna.jobs.events`) are written with the data and delivered through jobs.

This package's `__init__` imports nothing: `from kizuna.jobs.queue import enqueue`.
"""
