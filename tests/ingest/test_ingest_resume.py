"""An interrupted import, run again on the same file, resumes where its last batch ended.

Stopped deterministically (Ctrl-C raised from the progress callback once some batches are
committed, as a person pressing it between batches) or killed with SIGKILL in a process of
its own; then run again: the rows before the stop are not read again, every row ends up
stored and announced once, and the summary is the one an uninterrupted run gives.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app as cli_app
from kizuna.feedback.models import Feedback
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.ingest.service import ImportSummary, import_file
from kizuna.jobs.models import DomainEvent

KIZUNA = Path(sys.executable).parent / "kizuna"
HEADER = ["id", "date", "nps", "comment"]


def _rows(n: int, bad_every: int = 0) -> list[list[str]]:
    """Feedback rows; every `bad_every`-th has an NPS of 11 (rejected)."""
    rows = []
    for i in range(n):
        nps = "11" if bad_every and i % bad_every == bad_every - 1 else str(i % 11)
        rows.append([f"r{i}", "2025-04-01 09:00", nps, f"とても良かった {i}"])
    return rows


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    return path


def _small(kz: Kizuna, size: int, by_columns: bool = True) -> Kizuna:
    update = {"import_batch_size": size, "import_by_columns": by_columns}
    return Kizuna(kz.settings.model_copy(update=update), engine=kz.engine)


def _stop_after(batches: int) -> Callable[[int], None]:
    """A progress callback that presses Ctrl-C once `batches` batches are committed."""
    seen = [0]

    def progress(_: int) -> None:
        seen[0] += 1
        if seen[0] == batches:
            raise KeyboardInterrupt

    return progress


def _interrupt(app: Kizuna, slug: str, path: Path, batches: int, **options: Any) -> ImportRun:
    with pytest.raises(KeyboardInterrupt):
        import_file(app, slug, "feedback", path, progress=_stop_after(batches), **options)
    with app.session() as session:
        run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(1)).one()
        session.expunge(run)
    assert run.status == "interrupted"
    return run


def _texts(kz: Kizuna, workspace_id: int) -> dict[str, str | None]:
    with kz.session() as session:
        found = session.execute(
            select(Feedback.external_id, Feedback.text).where(Feedback.workspace_id == workspace_id)
        )
        return {key: value for key, value in found}


def _announced(kz: Kizuna, workspace_id: int) -> list[int]:
    """Every feedback id the voice.recorded events of the workspace announced."""
    with kz.session() as session:
        payloads = session.scalars(
            select(DomainEvent.payload).where(
                DomainEvent.workspace_id == workspace_id, DomainEvent.kind == "voice.recorded"
            )
        )
        return [i for payload in payloads for i in payload["feedback_ids"]]


def _counts(summary: ImportSummary) -> tuple[int, ...]:
    s = summary
    return (s.read, s.inserted, s.updated, s.unchanged, s.rejected)


def _whole(kz: Kizuna, make_workspace: Any, path: Path, **options: Any) -> tuple[Any, ...]:
    """One uninterrupted import of the file into a workspace of its own."""
    other = make_workspace()
    summary = import_file(kz, other.slug, "feedback", path, **options)
    return _counts(summary), _texts(kz, other.workspace.id)


def _write_gzip(path: Path, rows: list[list[str]]) -> Path:
    plain = _write_csv(path.with_suffix(""), rows)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    return path


def _write_parquet(path: Path, rows: list[list[str]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(HEADER)})
    pq.write_table(table, path, row_group_size=17)
    return path


def _write_jsonl(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            if i % 10 == 3:
                out.write("\n")  # blank lines are no records but keep their line
            out.write(json.dumps(dict(zip(HEADER, row, strict=True)), ensure_ascii=False) + "\n")
    return path


def _write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("kind", "by_columns"),
    [
        ("csv", True),
        ("csv", False),
        ("csv.gz", True),
        ("jsonl", False),
        ("parquet", False),
        ("xlsx", False),
    ],
)
def test_an_interrupted_import_resumes_where_it_stopped(
    kz: Kizuna, ws: Any, make_workspace: Any, tmp_path: Path, kind: str, by_columns: bool
) -> None:
    rows = _rows(230, bad_every=13)
    writers = {
        "csv": _write_csv,
        "csv.gz": _write_gzip,
        "jsonl": _write_jsonl,
        "parquet": _write_parquet,
    }
    path = writers.get(kind, _write_xlsx)(tmp_path / f"answers.{kind}", rows)
    app = _small(kz, 20, by_columns)
    run = _interrupt(app, ws.slug, path, batches=4)
    assert run.read == run.resume_rows == 80 and run.rejected == 6

    summary = import_file(app, ws.slug, "feedback", path)

    assert summary.resumed is not None and summary.resumed.rows == 80
    assert summary.run_id == run.id  # the interrupted run, finished
    assert "Resumed at row 81 " in summary.resumed.note("en")
    assert "81 行目から再開" in summary.resumed.note("ja")
    counts, texts = _whole(app, make_workspace, path)
    assert _counts(summary) == counts == (230, 213, 0, 0, 17)  # nothing read twice
    assert _texts(kz, ws.workspace.id) == texts
    announced = _announced(kz, ws.workspace.id)
    assert len(announced) == len(set(announced)) == 213
    with kz.session() as session:
        done = session.get(ImportRun, run.id)
        assert done is not None and done.status == "done" and done.read == 230
        rejected = session.scalar(
            select(func.count())
            .select_from(ImportRejection)
            .where(ImportRejection.run_id == run.id)
        )
    assert rejected == 17  # those of the first part too


@pytest.mark.parametrize(
    ("encoding", "by_columns"), [("cp932", True), ("cp932", False), ("utf-8-sig", True)]
)
def test_a_shift_jis_file_with_quoted_newlines_resumes_at_a_record_boundary(
    kz: Kizuna,
    ws: Any,
    make_workspace: Any,
    tmp_path: Path,
    encoding: str,
    by_columns: bool,
) -> None:
    rows = _rows(120)
    for i, row in enumerate(rows):
        if i % 3 == 0:  # quoted values over several lines, both kinds of line break
            row[3] = f"①店員さんが\r\n親切でした。㈱テスト {i}\n二行目,「引用」"
    path = _write_csv(tmp_path / "answers.csv", rows, encoding)
    app = _small(kz, 9, by_columns)
    run = _interrupt(app, ws.slug, path, batches=5)

    assert run.resume_rows == 45 and run.resume_offset is not None
    rest = path.read_bytes()[run.resume_offset :].decode(encoding)
    assert rest.startswith("r45,"), rest[:40]  # the first record not saved, from its start
    summary = import_file(app, ws.slug, "feedback", path)
    assert summary.resumed is not None and summary.resumed.start.line == run.resume_line
    counts, texts = _whole(app, make_workspace, path)
    assert _counts(summary) == counts == (120, 120, 0, 0, 0)
    stored = _texts(kz, ws.workspace.id)
    assert stored == texts and stored["r45"] == rows[45][3]


@pytest.mark.parametrize("by_columns", [True, False])
def test_rows_of_the_wrong_width_and_empty_lines_around_batch_edges_resume_alike(
    kz: Kizuna, ws: Any, make_workspace: Any, tmp_path: Path, by_columns: bool
) -> None:
    lines = [",".join(HEADER)]
    for i in range(90):
        if i % 8 == 5:
            lines.append(f"r{i},2025-04-01,3,a,b")  # a cell too many: rejected
        elif i % 11 == 4:
            lines += ["", ",,,"]  # no records, but lines of their own
            lines.append(f'r{i},2025-04-01,7,"二行に\nわたる {i}"')
        else:
            lines.append(f"r{i},2025-04-01,{i % 11},ok {i}")
    path = tmp_path / "answers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = _small(kz, 7, by_columns)
    run = _interrupt(app, ws.slug, path, batches=3)
    assert run.resume_rows == 21

    summary = import_file(app, ws.slug, "feedback", path)

    counts, texts = _whole(app, make_workspace, path)
    assert summary.resumed is not None and _counts(summary) == counts
    assert counts[0] == 90 and counts[4] == 11
    assert _texts(kz, ws.workspace.id) == texts


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_run_stopped_after_its_last_batch_resumes_with_nothing_left_to_read(
    kz: Kizuna, ws: Any, tmp_path: Path, kind: str
) -> None:
    rows = _rows(60)
    write = _write_parquet if kind == "parquet" else _write_csv
    path = write(tmp_path / f"answers.{kind}", rows)
    app = _small(kz, 20)
    _interrupt(app, ws.slug, path, batches=3)  # all three batches saved, then stopped

    summary = import_file(app, ws.slug, "feedback", path)

    assert summary.resumed is not None and summary.resumed.rows == 60
    assert _counts(summary) == (60, 60, 0, 0, 0)
    assert len(_announced(kz, ws.workspace.id)) == 60


def test_a_changed_file_is_imported_whole(
    kz: Kizuna, ws: Any, make_workspace: Any, tmp_path: Path
) -> None:
    rows = _rows(100)
    path = _write_csv(tmp_path / "answers.csv", rows)
    app = _small(kz, 10)
    run = _interrupt(app, ws.slug, path, batches=3)
    rows[50][3] = "書き換えた"  # another row changed, one more added
    _write_csv(path, [*rows, ["r100", "2025-04-02", "9", "追加"]])

    summary = import_file(app, ws.slug, "feedback", path)

    assert summary.resumed is None and summary.run_id != run.id
    assert _counts(summary) == (101, 71, 0, 30, 0)
    with kz.session() as session:
        old = session.get(ImportRun, run.id)
        assert old is not None and old.status == "interrupted"


def test_a_file_changed_in_place_with_the_same_size_is_not_resumed(
    kz: Kizuna, ws: Any, tmp_path: Path
) -> None:
    rows = _rows(100)
    path = _write_csv(tmp_path / "answers.csv", rows)
    app = _small(kz, 10)
    _interrupt(app, ws.slug, path, batches=3)
    stat = path.stat()
    rows[99][3] = rows[99][3].replace("良かった", "悪かった")  # same length in bytes
    _write_csv(path, rows)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even the same time
    assert path.stat().st_size == stat.st_size

    summary = import_file(app, ws.slug, "feedback", path)

    assert summary.resumed is None and _counts(summary) == (100, 70, 0, 30, 0)


def test_restart_reads_the_file_whole_and_the_old_run_is_not_resumed_later(
    kz: Kizuna, ws: Any, settings: Settings, tmp_path: Path
) -> None:
    path = _write_csv(tmp_path / "answers.csv", _rows(100))
    app = _small(kz, 10)
    _interrupt(app, ws.slug, path, batches=3)
    env = {"KIZUNA_DATABASE_URL": settings.database_url, "KIZUNA_LANGUAGE": "en"}
    command = ["import", "feedback", str(path), "--workspace", ws.slug]

    restarted = CliRunner().invoke(cli_app, [*command, "--restart"], env=env)

    assert restarted.exit_code == 0, restarted.output
    assert "Resumed" not in restarted.output
    assert "read 100, inserted 70, updated 0, unchanged 30, rejected 0" in restarted.output
    again = CliRunner().invoke(cli_app, command, env=env)
    assert "Resumed" not in again.output  # the newest run of the file is done
    assert "read 100, inserted 0, updated 0, unchanged 100, rejected 0" in again.output


def test_the_command_says_in_japanese_that_it_resumed(
    kz: Kizuna, ws: Any, settings: Settings, tmp_path: Path
) -> None:
    path = _write_csv(tmp_path / "answers.csv", _rows(100))
    _interrupt(_small(kz, 10), ws.slug, path, batches=3)
    env = {"KIZUNA_DATABASE_URL": settings.database_url, "KIZUNA_LANGUAGE": "ja"}

    shown = CliRunner().invoke(
        cli_app, ["import", "feedback", str(path), "--workspace", ws.slug], env=env
    )

    assert shown.exit_code == 0, shown.output
    assert "31 行目から再開しました" in shown.output
    assert "read 100, inserted 100, updated 0, unchanged 0, rejected 0" in shown.output


def test_a_killed_import_run_again_resumes_and_stores_every_row_once(
    kz: Kizuna, ws: Any, make_workspace: Any, settings: Settings, tmp_path: Path
) -> None:
    total = 60_000
    path = _write_csv(tmp_path / "answers.csv", _rows(total, bad_every=500))
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": settings.database_url,
        "KIZUNA_IMPORT_BATCH_SIZE": "1000",
        "KIZUNA_LANGUAGE": "en",
    }
    report = tmp_path / "rejected.csv"
    command = [str(KIZUNA), "import", "feedback", str(path), "--workspace", ws.slug]
    importing = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and saved < 3000 and importing.poll() is None:
        time.sleep(0.1)
        with kz.session() as session:
            found = session.scalar(
                select(ImportRun.resume_rows).where(ImportRun.workspace_id == ws.workspace.id)
            )
        saved = found or 0
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=30)
    with kz.session() as session:
        run = session.scalars(
            select(ImportRun).where(ImportRun.workspace_id == ws.workspace.id)
        ).one()
        session.expunge(run)
    assert 0 < run.resume_rows < total, "kill the import part-way"
    assert run.resume_offset is not None
    with path.open("rb") as raw:  # the recorded offset begins the next record
        raw.seek(run.resume_offset)
        assert raw.readline().startswith(f"r{run.resume_rows},".encode())

    again = subprocess.run(
        [*command, "--report", str(report)], env=env, capture_output=True, text=True, timeout=300
    )

    assert again.returncode == 0, again.stderr
    assert f"Resumed at row {run.resume_rows + 1:,} of an interrupted run" in again.stdout
    counts, _ = _whole(kz, make_workspace, path)
    assert counts == (total, total - 120, 0, 0, 120)
    assert "read {}, inserted {}, updated {}, unchanged {}, rejected {}".format(*counts) in (
        again.stdout
    )
    with kz.session() as session:
        keys = session.scalar(
            select(func.count(func.distinct(Feedback.external_id))).where(
                Feedback.workspace_id == ws.workspace.id
            )
        )
    announced = _announced(kz, ws.workspace.id)
    assert keys == len(announced) == len(set(announced)) == total - 120
    with report.open(encoding="utf-8-sig") as written:
        assert len(list(csv.DictReader(written))) == 120  # the first part's rejections too
