"""Every file format and encoding `kizuna import` reads, written for real in the test."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.errors import InvalidInput, UnsupportedFile
from kizuna.feedback.models import Feedback
from kizuna.ingest.models import ImportRejection
from kizuna.ingest.service import import_file

HEADER = ["回答ID", "顧客ID", "回答日時", "チャネル", "NPS", "コメント"]
ROWS = [
    ["A1", "C1", "2025年4月1日 10:30", "店舗", "9", "接客がとても丁寧でした"],
    ["A2", "C2", "令和7年4月2日", "アプリ", "１０", "使いやすい①"],
    ["A3", "C3", "2025/4/3", "コールセンター", "11", "つながらない"],
]


def _stored(kz: Kizuna, workspace_id: int) -> dict[str, Feedback]:
    with kz.session() as session:
        found = session.scalars(select(Feedback).where(Feedback.workspace_id == workspace_id))
        return {f.external_id: f for f in found}


def _check_japanese_rows(kz: Kizuna, ws, summary) -> None:  # type: ignore[no-untyped-def]
    assert summary.line() == "read 3, inserted 2, updated 0, unchanged 0, rejected 1"
    stored = _stored(kz, ws.workspace.id)
    assert set(stored) == {"A1", "A2"}
    assert stored["A1"].text == "接客がとても丁寧でした"
    assert stored["A1"].channel == "store"
    assert stored["A1"].received_at == dt.datetime(2025, 4, 1, 1, 30, tzinfo=dt.UTC)
    assert stored["A2"].nps == 10 and stored["A2"].channel == "app"
    assert stored["A2"].received_on == dt.date(2025, 4, 2)
    assert stored["A2"].text == "使いやすい①"


def _write_text(path: Path, delimiter: str, encoding: str) -> Path:
    lines = [delimiter.join(row) for row in [HEADER, *ROWS]]
    path.write_text("\r\n".join(lines) + "\r\n", encoding=encoding)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_encoding_is_detected(kz: Kizuna, ws, tmp_path: Path, encoding: str) -> None:
    path = _write_text(tmp_path / "voices.csv", ",", encoding)
    if encoding == "cp932":
        assert path.read_bytes().decode("cp932").startswith("回答ID")
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    _check_japanese_rows(kz, ws, import_file(kz, ws.slug, "feedback", path))


def test_shift_jis_given_by_name_reads_windows_characters(kz: Kizuna, ws, tmp_path) -> None:
    path = _write_text(tmp_path / "voices.csv", ",", "cp932")
    summary = import_file(kz, ws.slug, "feedback", path, encoding="Shift_JIS")
    _check_japanese_rows(kz, ws, summary)


def test_tsv_and_gzip(kz: Kizuna, ws, tmp_path: Path, make_workspace) -> None:  # type: ignore[no-untyped-def]
    tsv = _write_text(tmp_path / "voices.tsv", "\t", "utf-8")
    _check_japanese_rows(kz, ws, import_file(kz, ws.slug, "feedback", tsv))
    other = make_workspace()
    text = _write_text(tmp_path / "plain.csv", ",", "utf-8").read_bytes()
    packed = tmp_path / "voices.csv.gz"
    packed.write_bytes(gzip.compress(text))
    _check_japanese_rows(kz, other, import_file(kz, other.slug, "feedback", packed))


def test_jsonl_rejects_lines_that_are_not_objects(kz: Kizuna, ws, tmp_path: Path) -> None:
    path = tmp_path / "voices.jsonl"
    records = [dict(zip(HEADER, row, strict=True)) for row in ROWS]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(1, "{not json")
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(kz, ws.slug, "feedback", path)
    assert summary.line() == "read 4, inserted 2, updated 0, unchanged 0, rejected 2"
    with kz.session() as session:
        rejected = session.execute(
            select(ImportRejection.line, ImportRejection.reason_code)
            .where(ImportRejection.run_id == summary.run_id)
            .order_by(ImportRejection.line)
        ).all()
    assert [tuple(r) for r in rejected] == [(2, "invalid_record"), (5, "score_out_of_range")]


def test_parquet_with_typed_columns(kz: Kizuna, ws, tmp_path: Path, make_workspace) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "voices.parquet"
    table = pa.table(
        {
            "feedback_id": ["P1", "P2", "P3"],
            "received_at": [dt.datetime(2025, 4, 1, 10, 30), dt.datetime(2025, 4, 1, 23), None],
            "nps": pa.array([9, None, 3], pa.int64()),
            "csat": pa.array([5.0, 4.0, None], pa.float64()),
            "comment": ["良い", "普通", "悪い"],
            "store": ["渋谷", "新宿", "池袋"],
        }
    )
    pq.write_table(table, path)
    summary = import_file(kz, ws.slug, "feedback", path)
    assert summary.line() == "read 3, inserted 2, updated 0, unchanged 0, rejected 1"
    stored = _stored(kz, ws.workspace.id)
    assert stored["P1"].received_at == dt.datetime(2025, 4, 1, 1, 30, tzinfo=dt.UTC)
    assert stored["P2"].received_on == dt.date(2025, 4, 1)
    assert stored["P1"].csat == 5 and stored["P2"].nps is None
    assert stored["P1"].properties == {"store": "渋谷"}
    # A zoned timestamp column is an instant: 16:00 UTC is 01:00 the next day in Tokyo.
    zoned = tmp_path / "zoned.parquet"
    at = pa.array([dt.datetime(2025, 4, 1, 16, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"id": ["Z1"], "date": at, "text": ["深夜の声"]}), zoned)
    other = make_workspace()
    assert import_file(kz, other.slug, "feedback", zoned).inserted == 1
    assert _stored(kz, other.workspace.id)["Z1"].received_on == dt.date(2025, 4, 2)


def test_xlsx_with_dates_as_cells(kz: Kizuna, ws, tmp_path: Path) -> None:
    path = tmp_path / "voices.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["顧客ID", "来店日時", "チャネル", "種別", "金額"])
    sheet.append(["C1", dt.datetime(2025, 4, 1, 10, 0), "店舗", "購入", 1200])
    sheet.append([None, None, None, None, None])
    sheet.append(["C2", "2025/4/2", "謎の経路", None, "¥3,000"])
    sheet.append(["C3", "2025/4/3", None, "来店", None])
    book.save(path)
    summary = import_file(kz, ws.slug, "interactions", path)
    assert summary.line() == "read 3, inserted 2, updated 0, unchanged 0, rejected 1"
    with kz.session() as session:
        rejected = session.execute(
            select(ImportRejection.line, ImportRejection.reason_code).where(
                ImportRejection.run_id == summary.run_id
            )
        ).one()
    assert tuple(rejected) == (5, "missing_field")  # the spreadsheet's row number


def test_unsupported_and_missing_files_say_what_to_do(kz: Kizuna, ws, tmp_path: Path) -> None:
    old = tmp_path / "voices.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFile) as err:
        import_file(kz, ws.slug, "feedback", old)
    assert ".xlsx" in err.value.message("en") and "保存" in err.value.message("ja")
    with pytest.raises(UnsupportedFile):
        import_file(kz, ws.slug, "feedback", tmp_path / "nowhere.csv")
    no_date = tmp_path / "no_date.csv"
    no_date.write_text("id,comment\n1,hello\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as missing:
        import_file(kz, ws.slug, "feedback", no_date)
    assert "--mapping" in missing.value.message("en") and "日時" in missing.value.message("ja")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("ending", ["", "\r", "\r\n"])
def test_the_last_line_may_lack_its_line_break(
    kz: Kizuna, make_workspace, tmp_path: Path, ending: str, encoding: str
) -> None:  # type: ignore[no-untyped-def]
    header = "回答ID,回答日時,NPS,コメント"
    only_header = tmp_path / "header.csv"
    only_header.write_bytes((header + ending).encode(encoding))
    ws = make_workspace()
    summary = import_file(kz, ws.slug, "feedback", only_header)
    assert summary.line() == "read 0, inserted 0, updated 0, unchanged 0, rejected 0"
    one_row = tmp_path / "one.csv"
    one_row.write_bytes(f"{header}\r\nA1,2025/4/1,9,最後の行{ending}".encode(encoding))
    summary = import_file(kz, ws.slug, "feedback", one_row)
    assert summary.line() == "read 1, inserted 1, updated 0, unchanged 0, rejected 0"
    assert _stored(kz, ws.workspace.id)["A1"].text == "最後の行"
