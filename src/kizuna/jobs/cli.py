"""`kizuna worker` runs a job worker process; `jobs_command` shows the queue by state.

Lines printed per job name the kind, id and outcome only: payloads and error messages may
hold personal data, so they stay in the database (`job.last_error`).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kizuna.command import build_app
from kizuna.db import require_current
from kizuna.errors import InvalidInput
from kizuna.jobs.queue import job_counts, registered_kinds
from kizuna.jobs.worker import JobOutcome, Worker

__all__ = ["import_handler_modules", "jobs_command", "worker_command"]

console = Console(highlight=False, soft_wrap=True)


def import_handler_modules(modules: list[str]) -> None:
    """Import modules that register job handlers (plugins), from the current folder too."""
    # Like `python -m` and uvicorn's --app-dir: the current folder is importable.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise InvalidInput(
                f"Could not import handler module '{module}' ({type(exc).__name__}: {exc}). "
                "Check its dotted name and run from the folder that holds it.",
                f"処理モジュール「{module}」を読み込めません({type(exc).__name__})。"
                "ドット区切りの名前と、実行しているフォルダを確認してください。",
                module=module,
            ) from None


def print_outcome(outcome: JobOutcome) -> None:
    """One line per job: outcome, kind, id, attempt and time; never the payload."""
    colour = {"done": "green", "retry": "yellow", "dead": "red"}[outcome.outcome]
    line = (
        f"[{colour}]{outcome.outcome:<5}[/] {outcome.kind} #{outcome.job_id} "
        f"attempt {outcome.attempt}/{outcome.max_attempts} {outcome.seconds:.2f}s"
    )
    if outcome.error_type:
        line += f" {outcome.error_type}"
    if outcome.retry_at is not None:
        line += f" retry at {outcome.retry_at:%Y-%m-%d %H:%M:%S}Z"
    console.print(line)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First Ctrl+C (or SIGTERM) finishes the current job, then stops; a second one aborts."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        console.print("stopping after the current job (Ctrl+C again to abort it)")

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Run at most one job, then exit.")] = False,
    burst: Annotated[
        bool, typer.Option("--burst", help="Run until no job is ready, then exit.")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="Worker name shown in job.locked_by (default host:pid).")
    ] = None,
    imports: Annotated[
        list[str] | None,
        typer.Option("--import", help="Module that registers job handlers (repeatable)."),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only run jobs of this kind (repeatable; default: all)."),
    ] = None,
) -> None:
    """Run a job worker until Ctrl+C. / ジョブワーカーを起動します(Ctrl+C で停止)。"""
    import_handler_modules(imports or [])
    known = ", ".join(registered_kinds()) or "none"
    stop = threading.Event()
    with build_app() as kz:
        require_current(kz.engine)
        worker = Worker(kz, name, kinds=kinds or None, on_outcome=print_outcome)
        try:
            with stop_on_signals(stop):
                console.print(f"worker {worker.name} started; handlers: {known}")
                if once:
                    worker.requeue_stale()
                    worker.run_once()
                elif burst:
                    worker.run_burst(stop)
                else:
                    worker.run(stop)
        except KeyboardInterrupt:
            console.print("aborted; the current job was handed back to the queue")
            raise typer.Exit(130) from None
    console.print(f"worker {worker.name} stopped after {worker.processed} job(s)")


def jobs_command(
    workspace: Annotated[
        str | None, typer.Option(help="Only this workspace's jobs (slug).")
    ] = None,
) -> None:
    """Count jobs by state. / 状態ごとのジョブ数を表示します。"""
    with build_app() as kz, kz.session() as session:
        workspace_id = kz.workspace(session, workspace).id if workspace else None
        counts = job_counts(session, workspace_id)
    table = Table("state", "jobs")
    for state, count in counts.items():
        table.add_row(state, str(count))
    console.print(table)
