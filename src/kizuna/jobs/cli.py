"""`kizuna worker` (stub: the jobs room replaces this)."""

from __future__ import annotations


def worker_command() -> None:
    """Run a job worker."""
    raise NotImplementedError
