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

A read may begin part-way (`Start`, where an interrupted import stopped): a text file at a
byte offset that begins a line (the header still read from the top), Parquet at a row
(whole row groups before it skipped unread), Excel at a row (the rows before it parsed but
not converted). `Table.next_line` and `Table.offset_of` tell the position after the rows
yielded so far, for the import run to keep with each batch.
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
from kizuna.ingest.lines import LineOffsets, breaks_are_bytes

__all__ = ["INVALID_LINE", "SUFFIXES", "Start", "Table", "detect_encoding", "open_table"]

Row = tuple[int, tuple[str, ...], Sequence[Any]]
# Header of a JSONL line that is not a JSON object; its one cell is the line as written.
INVALID_LINE: tuple[str, ...] = ("line",)
SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".parquet", ".pq", ".xlsx")
_SJIS_NAMES = {"shift_jis", "shiftjis", "sjis", "shift-jis", "s_jis", "ms932", "windows-31j"}


@dataclass(frozen=True)
class Start:
    """Where a read begins: a line of a text file (the row of a Parquet or Excel file) and,
    in a text file, the byte offset where that line begins (None: skip the lines before)."""

    line: int
    offset: int | None = None


def _no_offset(line: int) -> int | None:
    return None


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
    # The line (row) after the rows yielded so far, and the byte offset where a line begins.
    next_line: Callable[[], int] = lambda: 0
    offset_of: Callable[[int], int | None] = _no_offset


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
    path: Path,
    encoding: str | None = None,
    batch_rows: int = 5000,
    *,
    by_columns: bool = True,
    start: Start | None = None,
) -> Iterator[Table]:
    """Open a file for streaming; the kind follows the suffix (`.gz` text files too).
    With `start`, the rows before `start.line` are not read again."""
    if not path.is_file():
        raise UnsupportedFile(
            f"File '{path}' does not exist; check the path.",
            f"ファイル「{path}」が見つかりません。パスを確認してください。",
            file=str(path),
        )
    kind = _kind(path)
    if kind == ".parquet":
        yield _parquet(path, batch_rows, start)
    elif kind == ".xlsx":
        with _xlsx(path, start) as table:
            yield table
    else:
        with path.open("rb") as raw, _unpacked(path) as counted:
            yield _text(path, raw, counted, kind, encoding, batch_rows, by_columns, start)


@contextmanager
def _unpacked(path: Path) -> Iterator[IO[bytes]]:
    """A second handle on a text file's bytes (unpacked when gzipped), for `LineOffsets`."""
    with path.open("rb") as raw:
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw) as unpacked:
                yield unpacked  # type: ignore[misc]
        else:
            yield raw


def _text(
    path: Path,
    raw: IO[bytes],
    counted: IO[bytes],
    kind: str,
    encoding: str | None,
    batch_rows: int,
    by_columns: bool,
    start: Start | None,
) -> Table:
    binary: IO[bytes] = raw
    if path.name.lower().endswith(".gz"):
        binary = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    head = binary.read(1 << 16)
    binary.seek(0)
    chosen = _encoding(encoding, head)
    offset_of = _no_offset
    if breaks_are_bytes(chosen):
        at = start if start is not None and start.offset is not None else Start(1, 0)
        counted.seek(at.offset or 0)
        offset_of = LineOffsets(counted, at.line, at.offset or 0).offset_of
    stream: io.TextIOWrapper[Any] = io.TextIOWrapper(binary, encoding=chosen, newline="")
    total = path.stat().st_size
    if kind == ".jsonl":
        stream, first_line = _resumed(stream, binary, chosen, start)
        rows, next_line = _jsonl_rows(stream, first_line, start)
        table = Table(rows, None, raw.tell, total, "bytes", chosen, stream)
        table.next_line, table.offset_of = next_line, offset_of
        return table
    first = head.split(b"\n", 1)[0]
    delimiter = "\t" if kind == ".tsv" or first.count(b"\t") > first.count(b",") else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = tuple(cell.strip().lstrip("\ufeff") for cell in next(reader))
    except StopIteration:
        raise _empty(path) from None
    if by_columns and reader.line_num == 1 and (start is None or start.offset is not None):
        stream.detach()  # the bytes go to pyarrow from the start; the header is its row 1
        binary.seek(0 if start is None else start.offset or 0)
        line = 1 if start is None else start.line
        chunks = read_chunks(
            binary, len(header), delimiter, batch_rows, encoding=chosen, start_line=line
        )
        table = Table(iter(()), header, raw.tell, total, "bytes", chosen, None, chunks)
        table.offset_of = offset_of
        return table
    shift = 0
    if start is not None and start.offset is not None:
        stream, first_line = _resumed(stream, binary, chosen, start)
        reader = csv.reader(stream, delimiter=delimiter)
        shift = first_line - 1  # the reader counts lines from the offset
    rows = _csv_rows(reader, header, shift, start.line if start is not None else 0)
    table = Table(rows, header, raw.tell, total, "bytes", chosen, stream)
    table.next_line = lambda: reader.line_num + shift + 1
    table.offset_of = offset_of
    return table


def _resumed(
    stream: io.TextIOWrapper[Any], binary: IO[bytes], encoding: str, start: Start | None
) -> tuple[io.TextIOWrapper[Any], int]:
    """The text from where a resumed read begins (the start, without one), and its line."""
    if start is None or start.offset is None:
        return stream, 1
    stream.detach()
    binary.seek(start.offset)
    return io.TextIOWrapper(binary, encoding=encoding, newline=""), start.line


def _empty(path: Path) -> UnsupportedFile:
    return UnsupportedFile(
        f"'{path.name}' is empty: the first row must name the columns.",
        f"「{path.name}」は空です。1行目に列名(見出し)が必要です。",
        file=path.name,
    )


def _csv_rows(reader: Any, header: tuple[str, ...], shift: int = 0, skip: int = 0) -> Iterator[Row]:
    """Records as cells; lines are the reader's plus `shift`, those before `skip` passed."""
    previous = reader.line_num + shift
    for cells in reader:
        line = previous + 1  # where the record starts; quoted values may span lines
        previous = reader.line_num + shift
        if line >= skip and any(cells):  # an empty line or ",,,," is not a record
            yield line, header, cells


def _jsonl_rows(
    stream: IO[str], first_line: int, start: Start | None
) -> tuple[Iterator[Row], Callable[[], int]]:
    skip = start.line if start is not None else 0
    done = [first_line - 1]

    def rows() -> Iterator[Row]:
        for line, text in enumerate(stream, start=first_line):
            done[0] = line
            if line < skip or not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError:
                record = None
            if isinstance(record, dict):
                yield line, tuple(record), tuple(record.values())
            else:
                yield line, INVALID_LINE, (text.rstrip("\r\n"),)

    return rows(), lambda: done[0] + 1


def _parquet(path: Path, batch_rows: int, start: Start | None = None) -> Table:
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
    skip = start.line - 1 if start is not None else 0
    groups: list[int] = []
    before = 0  # the row groups from the one holding the first row wanted
    for group in range(handle.metadata.num_row_groups):
        size = handle.metadata.row_group(group).num_rows
        if before + size <= skip and not groups:
            before += size
            continue
        groups.append(group)
    done = [before]

    def rows() -> Iterator[Row]:
        if not groups:  # resumed after the last row: nothing left
            return
        for batch in handle.iter_batches(batch_size=batch_rows, row_groups=groups):
            if done[0] + batch.num_rows <= skip:
                done[0] += batch.num_rows
                continue
            if done[0] < skip:
                batch = batch.slice(skip - done[0])
                done[0] = skip
            columns = [column.to_pylist() for column in batch.columns]
            for cells in zip(*columns, strict=True):
                done[0] += 1
                yield done[0], header, cells

    table = Table(rows(), header, lambda: done[0], handle.metadata.num_rows, "rows")
    table.next_line = lambda: done[0] + 1
    return table


@contextmanager
def _xlsx(path: Path, start: Start | None = None) -> Iterator[Table]:
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
    opened: list[Any] = []  # row generators hold the sheet's XML stream until closed
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        opened.append(values)
        first = next(values, None)
        if first is None:
            raise _empty(path)
        header = tuple("" if c is None else str(c).strip() for c in first)
        done = [1]
        if start is not None and start.line > 2:  # rows before it parsed, not converted
            values = sheet.iter_rows(min_row=start.line, values_only=True)
            opened.append(values)
            done[0] = start.line - 1

        def rows() -> Iterator[Row]:
            for cells in values:
                done[0] += 1
                if any(c is not None and c != "" for c in cells):
                    yield done[0], header, cells

        table = Table(rows(), header, lambda: done[0] - 1, max((sheet.max_row or 1) - 1, 0), "rows")
        table.next_line = lambda: done[0] + 1
        yield table
    finally:
        for generator in opened:
            generator.close()
        book.close()
