"""The column-at-a-time path for CSV (UTF-8 or Shift_JIS) gives what the row path gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import delete, select

from kizuna import Kizuna
from kizuna.errors import UnsupportedFile
from kizuna.feedback.models import Feedback
from kizuna.ingest.arrow_csv import read_chunks
from kizuna.ingest.arrow_dates import parse_dates
from kizuna.ingest.models import ImportRejection
from kizuna.ingest.readers import open_table
from kizuna.ingest.service import import_file
from kizuna.ingest.values import DateParser, RowRejected
from kizuna.jobs.models import Job
from kizuna.settings import Settings


def _csv_module_rows(data: bytes) -> tuple[int, list[tuple[int, list[str]]]]:
    """What the row path reads: (line, cells) of every record with a non-empty cell."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    header = next(reader)
    previous, rows = reader.line_num, []
    for cells in reader:
        line, previous = previous + 1, reader.line_num
        if any(cells):
            rows.append((line, cells))
    return len(header), rows


def _messy_file(rng: random.Random) -> bytes:
    lines = ["a,b,c"]
    for i in range(rng.randint(0, 120)):
        lines.append(
            rng.choice(
                [
                    f"{i},short",  # fewer cells than the header
                    f"{i},x,y,extra",  # more
                    f'{i},"two\r\nlines\nand\rmore",q',  # line breaks inside quotes
                    "",  # an empty line: no record, but a line
                    ",,",  # empty cells only: no record either
                    f"{i},v,ワ",
                    f"{i},v,ワ",
                    f"{i},v,ワ",
                ]
            )
        )
    newline = rng.choice(["\n", "\r\n"])
    return (newline.join(lines) + rng.choice([newline, ""])).encode()


def test_chunks_have_the_csv_modules_cells_and_lines_in_batches_of_the_size_asked() -> None:
    """UTF-8 or Shift_JIS, any block size: the csv module's records, lines and cells."""
    rng = random.Random(20260401)
    for _ in range(60):
        data = _messy_file(rng)
        width, expected = _csv_module_rows(data)
        size = rng.choice([1, 3, 7, 50])
        block = rng.choice([64, 97, 300, 1 << 20])  # small blocks cut rows and "\r\n" apart
        encoding = rng.choice(["utf-8", "cp932"])  # and Shift_JIS characters, decoded for pyarrow
        raw = io.BytesIO(data.decode("utf-8").encode(encoding))
        got, sizes = [], []
        for chunk in read_chunks(raw, width, ",", size, block_size=block, encoding=encoding):
            sizes.append(len(chunk))
            columns = [c.to_pylist() for c in chunk.columns]
            rows = [
                (int(line), list(cells))
                for line, cells in zip(chunk.lines, zip(*columns, strict=True), strict=True)
            ]
            got += sorted(rows + chunk.odd)
        assert got == expected
        assert all(s == size for s in sizes[:-1]) and all(0 < s <= size for s in sizes)


@pytest.mark.parametrize("size", [1, 500])
@pytest.mark.parametrize("block", [1 << 16, 1 << 20])
def test_bad_shift_jis_bytes_stop_the_chunks_after_whole_untouched_records(
    size: int, block: int
) -> None:
    """Whatever pyarrow has read ahead, the records before the bad bytes come first, whole
    and unchanged, in full chunks only (never the record the bad bytes cut), then the error."""
    comment = "お部屋からの眺めが素晴らしく、スタッフの皆さんの心遣いに感動しました。"
    lines = ["id,comment"] + [f"R{i},{comment}{i}" for i in range(20_000)]
    data = "\r\n".join(lines).encode("cp932")
    cut = data.index(b"R15000,") + 7 + 12  # six characters into the record's comment
    raw = io.BytesIO(data[:cut] + b"\x82\xff" + data[cut:])
    got: list[list[str]] = []
    with pytest.raises(UnicodeDecodeError):
        for chunk in read_chunks(raw, 2, ",", size, block_size=block, encoding="cp932"):
            assert len(chunk) == size and not chunk.odd
            got += [list(row) for row in zip(*(c.to_pylist() for c in chunk.columns), strict=True)]
    assert 0 < len(got) < 15_000 and len(got) % size == 0
    assert got == [[f"R{i}", f"{comment}{i}"] for i in range(len(got))]


def _date_strings(rng: random.Random) -> list[str]:
    found = []
    for _ in range(3000):
        text = "{}{sep}{}{sep}{}".format(
            rng.choice(["2025", "2017", "1999", "0000", "2040", "25"]),
            rng.choice(["1", "02", "12", "13", "0", "3", "10"]),
            rng.choice(["1", "09", "15", "28", "29", "30", "31", "0"]),
            sep=rng.choice(["-", "/", ".", "年"]),
        )
        if rng.random() < 0.7:
            text += rng.choice([" ", "T", "  ", ""]) + rng.choice(["0", "09", "23", "24", "2"])
            text += ":" + rng.choice(["00", "5", "30", "59", "60"])
            if rng.random() < 0.4:
                text += ":" + rng.choice(["00", "59", "60"]) + rng.choice(["", ".5", ".123456"])
        if rng.random() < 0.3:
            text += rng.choice(["Z", "+09:00", "-05:00", "+0930", "+25:00", " Z"])
        found.append(rng.choice([text, text, text, f" {text}", ""]))
    # Daylight saving: a skipped and a repeated wall-clock hour in New York and London.
    return [*found, "2025-03-09 02:30", "2025-11-02 01:30", "2025-03-30 01:30", *COMMON]


COMMON = ["2025/4/1 10:30", "2025-04-01", "2025-04-01T10:30:00+09:00", "2025.4.1 9:05:07.5"]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York", "Europe/London"])
def test_dates_by_column_are_the_instants_the_row_parser_gives(zone: str) -> None:
    values = _date_strings(random.Random(zone))
    parsed = parse_dates(pa.array(values, pa.string()), zone)
    rows = DateParser(zone)
    taken = 0
    for i, text in enumerate(values):
        if not parsed.ok[i]:
            continue  # the row path decides these
        taken += 1
        assert rows.at(text, "received_at") == (parsed.at[i], parsed.on[i]), text
    assert taken > 100 and parsed.ok[-len(COMMON) :].all()  # the usual forms take this path
    assert parsed.at[len(values) - 1].tzinfo is dt.UTC
    with pytest.raises(RowRejected):
        rows.at("9999-12-31T23:00:00-05:00", "received_at")  # past Python's last instant


HEADER = ["回答ID", "顧客ID", "回答日時", "チャネル", "NPS", "満足度", "評価", "コメント", "店舗"]
ROWS: list[list[str]] = [
    ["A1", "C1", "2025/4/1 10:30", "店舗", "9", "5", "4.5", "接客が丁寧でした", "渋谷"],
    ["A2", "C2", "2025-04-01T23:30:00+09:00", "アプリ", "", "3", "", "普通", ""],
    ["A3", "C3", "令和7年4月2日", "web", "１０", "", "", "全角の数字", "新宿"],
    ["A4", "", "2025年4月3日 9時5分", "伝書鳩", "7", "", "", "未知の経路", ""],
    ["A5", "C5", "2025/4/31", "web", "8", "", "", "ない日付", ""],
    ["A6", "C6", "2025/4/5", "web", "11", "", "", "範囲外", ""],
    ["A7", "C7", "2025/4/6", "web", "", "", "", "", ""],
    ["Ａ８", "C8", "2025-04-07 08:00", " email ", "3", "2", "", " 前後の空白 ", ""],
    ["A9", "C9", "2025-04-08 08:00Z", "LINE", "6", "", "6", "評価が範囲外", ""],
    ["A10", "C10", "2025/4/9", "web", "5", "", "", "改行を\r\n含む\nコメント", "池袋"],
    ["A1", "C1", "2025/4/10", "店舗", "2", "", "", "同じIDの後の行", ""],
]


def _write(path: Path, rows: list[list[str]], encoding: str, extra: str = "") -> Path:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    path.write_bytes((out.getvalue() + extra).encode(encoding))
    return path


def _stored(kz: Kizuna, workspace_id: int) -> dict[str, dict[str, Any]]:
    skip = {"id", "workspace_id", "created_at"}
    columns = [c for c in Feedback.__table__.columns if c.name not in skip]
    with kz.session() as session:
        found = session.execute(select(*columns).where(Feedback.workspace_id == workspace_id))
        return {row.external_id: row._asdict() for row in found}


def _rejections(kz: Kizuna, run_id: int) -> list[tuple[Any, ...]]:
    with kz.session() as session:
        found = session.execute(
            select(ImportRejection.line, ImportRejection.reason_code, ImportRejection.raw)
            .where(ImportRejection.run_id == run_id)
            .order_by(ImportRejection.line)
        )
        return [tuple(row) for row in found]


@pytest.fixture(scope="module")
def kz_by_rows(settings: Settings) -> Iterator[Kizuna]:
    """The same database, with CSV read row by row by the csv module (the reference path)."""
    app = Kizuna(settings.model_copy(update={"import_by_columns": False}))
    yield app
    app.close()


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("with_ids", [True, False])
def test_csv_by_columns_stores_what_the_csv_module_by_rows_stores(
    kz: Kizuna, kz_by_rows: Kizuna, make_workspace, tmp_path: Path, with_ids: bool, encoding: str
) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADER, *ROWS] if with_ids else [[*r[1:]] for r in [HEADER, *ROWS]]
    # A row of another width and an empty line at the end, both kept in their lines.
    tail = "A11,C11\r\n\r\nA12,C12,2025/4/12,web,1,,,,,余分\r\n"
    path = _write(tmp_path / f"{encoding}.csv", rows, encoding, tail if with_ids else "")
    with open_table(path) as table:
        assert table.chunks is not None  # UTF-8 and Shift_JIS alike: the column path
    with open_table(path, by_columns=False) as table:
        assert table.chunks is None
    one, two = make_workspace(), make_workspace()
    by_columns = import_file(kz, one.slug, "feedback", path)
    by_rows = import_file(kz_by_rows, two.slug, "feedback", path)
    assert by_columns.line() == by_rows.line()
    assert by_columns.rejected >= 4 and by_columns.inserted >= 6
    stored = _stored(kz, one.workspace.id)
    assert stored == _stored(kz, two.workspace.id)
    assert _rejections(kz, by_columns.run_id) == _rejections(kz, by_rows.run_id)
    if with_ids:
        assert stored["A1"]["text"] == "同じIDの後の行"  # the later row with one id wins
        assert stored["A8"]["text"] == "前後の空白" and stored["A8"]["channel"] == "email"
        assert stored["A4"]["properties"] == {"channel_raw": "伝書鳩"}
        assert stored["A10"]["text"] == "改行を\r\n含む\nコメント"
        lines = [r[:2] for r in _rejections(kz, by_columns.run_id)]
        assert lines == [
            (6, "invalid_date"),
            (7, "score_out_of_range"),
            (8, "empty_feedback"),
            (10, "score_out_of_range"),
            (15, "missing_field"),
            (17, "column_count"),
        ]
    # Importing the file again either way adds nothing and changes nothing (the rows of a
    # repeated id take turns, as on every re-import): both paths hash a row alike.
    again = import_file(kz, one.slug, "feedback", path)
    assert again.inserted == 0 and again.unchanged >= 5
    assert import_file(kz_by_rows, one.slug, "feedback", path).line() == again.line()
    assert _stored(kz, one.workspace.id) == stored


@pytest.mark.parametrize("by_columns", [True, False])
def test_a_shift_jis_file_that_goes_bad_part_way_keeps_whole_batches_and_says_where(
    kz: Kizuna, kz_by_rows: Kizuna, make_workspace, tmp_path: Path, by_columns: bool
) -> None:  # type: ignore[no-untyped-def]
    comment = "お店の方がとても丁寧に説明してくださり、期待以上の体験になりました。"
    count, bad_row = 6_000, 5_500  # the row path writes the first batch of 5,000, then stops
    if by_columns:
        # pyarrow parses the text (as UTF-8) 1 MiB at a time and reads the next block before
        # it hands over a block's rows: the bad bytes go past 2 MiB, so the first block's
        # rows (more than one batch of 5,000) are written first.
        count, bad_row = 18_000, 17_500
    rows = [["回答ID", "回答日時", "NPS", "コメント"]]
    rows += [[f"S{i}", "2025/4/1", "9", f"{comment}{i}"] for i in range(count)]
    path = _write(tmp_path / "sjis.csv", rows, "cp932")
    data = path.read_bytes()
    if by_columns:
        as_utf8 = data.decode("cp932").encode("utf-8")
        assert as_utf8.index(b"S5000,") < 1 << 20 and as_utf8.index(b"S17500,") > 2 << 20
    cut = data.index(f"S{bad_row},".encode())
    path.write_bytes(data[:cut] + b"\x82\xff" + data[cut:])  # not a CP932 character
    ws = make_workspace()
    with pytest.raises(UnsupportedFile) as stopped:
        import_file(kz if by_columns else kz_by_rows, ws.slug, "feedback", path)
    error = stopped.value
    assert "near line" in error.message("en") and "--encoding" in error.message("en")
    assert "文字コード" in error.message("ja")
    saved = len(_stored(kz, ws.workspace.id))
    # Whole batches before the bad bytes were saved, and the message counts them.
    assert 0 < saved < bad_row and saved % kz.settings.import_batch_size == 0
    assert f"read {saved}," in error.message("en")
    with kz.session() as session:  # the text analysis this queued is another test's subject
        session.execute(delete(Job).where(Job.workspace_id == ws.workspace.id))
