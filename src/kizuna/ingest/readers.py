"""Files as streams of rows: CSV, TSV, JSONL, Parquet and Excel (.xlsx), any size.

Every reader yields `(line, header, cells)` one row at a time and never holds the file
in memory. `line` is where a person finds the row: the line in a text file (the header
is line 1), the row number in a spreadsheet, the 1-based row number in Parquet. Text
files are UTF-8, UTF-8 with BOM or Shift_JIS (CP932, what Japanese Excel writes):
detected from the first 64 KiB or given by the caller. CSV and TSV in any of them come
instead as `Table.chunks`: batches of columns read by pyarrow (`arrow_csv`, which decodes
CP932 to UTF-8 on the way), with the same cells and line numbers. `by_columns=False`
(setting KIZUNA_IMPORT_BY_COLUMNS) reads them row by row through the csv module instead,
as every other format is read: two to three times the CPU, the same rows.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from kizuna.errors import UnsupportedFile
from kizuna.ingest.arrow_csv import Chunk, read_chunks

__all__ = ["INVALID_LINE", "SUFFIXES", "Table", "detect_encoding", "open_table"]

Row = tuple[int, tuple[str, ...], Sequence[Any]]
# Header of a JSONL line that is not a JSON object; its one cell is the line as written.
INVALID_LINE: tuple[str, ...] = ("line",)
SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".parquet", ".pq", ".xlsx")
_SJIS_NAMES = {"shift_jis", "shiftjis", "sjis", "shift-jis", "s_jis", "ms932", "windows-31j"}


@dataclass
class Table:
    """An open file: its header (None when each row brings its own keys) and its rows."""

    rows: Iterator[Row]
    header: tuple[str, ...] | None
    position: Callable[[], int]  # bytes or rows consumed so far, for progress bars
    total: int
    unit: Literal["bytes", "rows"]
    encoding: str | None = None
    # The text layer over the file: closing it (when collected) would close the file early.
    stream: IO[str] | None = None
    # CSV/TSV read by columns: batches of columns instead of `rows` (which is then empty).
    chunks: Iterator[Chunk] | None = None


def _kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return {".tab": ".tsv", ".ndjson": ".jsonl", ".pq": ".parquet"}.get(suffix, suffix)
    raise UnsupportedFile(
        f"Kizuna cannot read '{path.name}'. Save it as CSV (UTF-8), TSV, JSONL, Parquet or .xlsx.",
        f"「{path.name}」は読み込めません。CSV(UTF-8)、TSV、JSONL、Parquet、.xlsx のいずれかで"
        "保存してください。",
        file=path.name,
    )


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) or CP932, from the first bytes of a file."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for name in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=False)
            return name
        except UnicodeDecodeError:
            continue
    raise UnsupportedFile(
        "Kizuna cannot tell this file's character encoding. Give it with --encoding "
        "(for example utf-8 or cp932), or save the file as UTF-8.",
        "ファイルの文字コードを判別できません。--encoding で指定する(例: utf-8、cp932)か、"
        "UTF-8で保存し直してください。",
    )


def _encoding(given: str | None, head: bytes) -> str:
    if given is None:
        return detect_encoding(head)
    name = given.strip().lower()
    if name in _SJIS_NAMES:
        return "cp932"  # a superset of Shift_JIS: ①, ㈱ and NEC specials decode too
    try:
        codecs.lookup(name)
    except LookupError:
        raise UnsupportedFile(
            f"Unknown encoding '{given}'. Use utf-8, utf-8-sig or cp932 (Shift_JIS).",
            f"文字コード「{given}」は使えません。utf-8、utf-8-sig、cp932(Shift_JIS)を指定してください。",
        ) from None
    if name.replace("_", "-") in ("utf-8", "utf8") and head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return name


@contextmanager
def open_table(
    path: Path, encoding: str | None = None, batch_rows: int = 5000, *, by_columns: bool = True
) -> Iterator[Table]:
    """Open a file for streaming; the kind follows the suffix (`.gz` text files too)."""
    if not path.is_file():
        raise UnsupportedFile(
            f"File '{path}' does not exist; check the path.",
            f"ファイル「{path}」が見つかりません。パスを確認してください。",
            file=str(path),
        )
    kind = _kind(path)
    if kind == ".parquet":
        yield _parquet(path, batch_rows)
    elif kind == ".xlsx":
        with _xlsx(path) as table:
            yield table
    else:
        with path.open("rb") as raw:
            yield _text(path, raw, kind, encoding, batch_rows, by_columns)


def _text(
    path: Path, raw: IO[bytes], kind: str, encoding: str | None, batch_rows: int, by_columns: bool
) -> Table:
    binary: IO[bytes] = raw
    if path.name.lower().endswith(".gz"):
        binary = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    head = binary.read(1 << 16)
    binary.seek(0)
    chosen = _encoding(encoding, head)
    stream = io.TextIOWrapper(binary, encoding=chosen, newline="")
    total = path.stat().st_size
    if kind == ".jsonl":
        return Table(_jsonl_rows(stream), None, raw.tell, total, "bytes", chosen, stream)
    first = head.split(b"\n", 1)[0]
    delimiter = "\t" if kind == ".tsv" or first.count(b"\t") > first.count(b",") else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = tuple(cell.strip().lstrip("\ufeff") for cell in next(reader))
    except StopIteration:
        raise _empty(path) from None
    if by_columns and reader.line_num == 1:
        stream.detach()  # the bytes go to pyarrow from the start; the header is its row 1
        binary.seek(0)
        chunks = read_chunks(binary, len(header), delimiter, batch_rows, encoding=chosen)
        return Table(iter(()), header, raw.tell, total, "bytes", chosen, None, chunks)
    return Table(_csv_rows(reader, header), header, raw.tell, total, "bytes", chosen, stream)


def _empty(path: Path) -> UnsupportedFile:
    return UnsupportedFile(
        f"'{path.name}' is empty: the first row must name the columns.",
        f"「{path.name}」は空です。1行目に列名(見出し)が必要です。",
        file=path.name,
    )


def _csv_rows(reader: Any, header: tuple[str, ...]) -> Iterator[Row]:
    previous = reader.line_num
    for cells in reader:
        line = previous + 1  # where the record starts; quoted values may span lines
        previous = reader.line_num
        if any(cells):  # an empty line or ",,,," is not a record
            yield line, header, cells


def _jsonl_rows(stream: IO[str]) -> Iterator[Row]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            yield line, tuple(record), tuple(record.values())
        else:
            yield line, INVALID_LINE, (text.rstrip("\r\n"),)


def _parquet(path: Path, batch_rows: int) -> Table:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        raise UnsupportedFile(
            f"'{path.name}' is not a readable Parquet file ({exc}).",
            f"「{path.name}」はParquetファイルとして読めません({exc})。",
            file=path.name,
        ) from None
    header = tuple(handle.schema_arrow.names)
    done = [0]

    def rows() -> Iterator[Row]:
        for batch in handle.iter_batches(batch_size=batch_rows):
            columns = [column.to_pylist() for column in batch.columns]
            for cells in zip(*columns, strict=True):
                done[0] += 1
                yield done[0], header, cells

    return Table(rows(), header, lambda: done[0], handle.metadata.num_rows, "rows")


@contextmanager
def _xlsx(path: Path) -> Iterator[Table]:
    import openpyxl

    with warnings.catch_warnings():
        # Files saved by other tools often lack a default style; it changes nothing we read.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zip or XML errors of a damaged workbook
            raise UnsupportedFile(
                f"'{path.name}' is not a readable .xlsx workbook ({exc}).",
                f"「{path.name}」は.xlsxとして読めません({exc})。",
                file=path.name,
            ) from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            raise _empty(path)
        header = tuple("" if c is None else str(c).strip() for c in first)
        done = [1]

        def rows() -> Iterator[Row]:
            for cells in values:
                done[0] += 1
                if any(c is not None and c != "" for c in cells):
                    yield done[0], header, cells

        yield Table(rows(), header, lambda: done[0] - 1, max((sheet.max_row or 1) - 1, 0), "rows")
    finally:
        book.close()
