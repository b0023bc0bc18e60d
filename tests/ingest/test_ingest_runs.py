"""A killed import is shown as interrupted, not "running" forever; re-running resumes it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app as cli_app
from kizuna.db.base import utcnow
from kizuna.ingest.models import ImportRun
from kizuna.ingest.runs import STALE_AFTER, list_runs, mark_interrupted

KIZUNA = Path(sys.executable).parent / "kizuna"


def add_run(kz: Kizuna, workspace_id: int, worker: str, heartbeat: dt.datetime) -> int:
    with kz.session() as session:
        run = ImportRun(
            workspace_id=workspace_id,
            target="feedback",
            origin="answers.csv",
            worker=worker,
            heartbeat_at=heartbeat,
        )
        session.add(run)
        session.flush()
        return run.id


def status_of(kz: Kizuna, run_id: int) -> str:
    with kz.session() as session:
        return session.scalar(select(ImportRun.status).where(ImportRun.id == run_id)) or ""


def test_runs_whose_process_is_gone_are_marked_interrupted(kz: Kizuna, ws: Any) -> None:
    wid, now = ws.workspace.id, utcnow()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs on this host
    here_dead = add_run(kz, wid, f"{socket.gethostname()}:{dead.pid}", now)
    here_alive = add_run(kz, wid, f"{socket.gethostname()}:{os.getpid()}", now)
    far_silent = add_run(kz, wid, "other-host:123", now - STALE_AFTER - dt.timedelta(seconds=1))
    far_busy = add_run(kz, wid, "other-host:456", now - dt.timedelta(seconds=30))
    with kz.session() as session:
        assert mark_interrupted(session, wid) == 2
    assert [status_of(kz, r) for r in (here_dead, here_alive, far_silent, far_busy)] == [
        "interrupted",
        "running",
        "interrupted",
        "running",
    ]


def test_a_killed_import_shows_as_interrupted_and_a_rerun_completes_it(
    kz: Kizuna, ws: Any, settings: Settings, tmp_path: Path
) -> None:
    rows = 150_000
    path = tmp_path / "answers.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("id,date,nps,comment\n")
        for i in range(rows):
            out.write(f"r{i},2025-04-01,{i % 11},とても良かった {i}\n")
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": settings.database_url,
        "KIZUNA_IMPORT_BATCH_SIZE": "2000",
        "KIZUNA_LANGUAGE": "en",
    }
    command = [str(KIZUNA), "import", "feedback", str(path), "--workspace", ws.slug]
    quiet = subprocess.DEVNULL
    importing = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and committed == 0:
        time.sleep(0.2)
        with kz.session() as session:
            committed = (
                session.scalar(
                    select(ImportRun.inserted).where(ImportRun.workspace_id == ws.workspace.id)
                )
                or 0
            )
    assert committed > 0, "the import never committed a batch"
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=30)
    with kz.session() as session:
        (run,) = list_runs(session, ws.workspace)
    assert run.status == "interrupted" and 0 < run.inserted < rows
    shown = CliRunner().invoke(cli_app, ["import", "runs", "--workspace", ws.slug], env=env)
    assert shown.exit_code == 0 and "interrupted" in shown.output
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # It resumes the interrupted run: the saved rows are not read again, the counts cover
    # the whole file (tests/ingest/test_ingest_resume.py).
    assert f"Resumed at row {run.read + 1:,} " in again.stdout
    assert f"read {rows}, inserted {rows}, updated 0, unchanged 0, rejected 0" in again.stdout
