"""CSV and TSV read by pyarrow a block at a time, in chunks of columns with line numbers.

The fast way in for text files: pyarrow's C++ reader splits the bytes into columns of
strings (memory stays flat: one block of `_BLOCK` bytes at a time), and `read_chunks` cuts
them into chunks of exactly `batch_rows` records. Each record keeps the line where a
person finds it, counted as the csv module counts on the row path: the header is line 1, a
quoted value may span lines, an empty line or a row of empty cells takes a line but is no
record. A row with more or fewer cells than the header is parsed again by the csv module
and passed on as cells (`Chunk.odd`), for the row-by-row path to judge as it always has.

The bytes reach pyarrow through `_PyarrowText`: as UTF-8 (pyarrow reads nothing else;
Shift_JIS / CP932, what Japanese Excel writes, is decoded on the way with Python's C
codec), never cut between "\r" and "\n" (pyarrow 26 drops the "\n" of a quoted "\r\n"
that a block boundary cuts in two), and with a line break after the last line.
Each chunk also says where its records end (`Chunk.end`, the line after its last one):
a boundary between records that an interrupted import may resume from (`start_line`: the
bytes then begin at that line, with no header).

pyarrow numbers the rows it cannot split (`InvalidRow.number`, records counted from the
header) only when it reads on one thread, hence `use_threads=False`; the second core is busy
writing the previous batch anyway.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

__all__ = ["Chunk", "read_chunks"]

_BLOCK = 1 << 20  # bytes parsed at a time: about 7,000 rows of a typical feedback export
_STEP = 1 << 16  # bytes read at least (UTF-8) or at most (another encoding) at a time
Lines = np.ndarray[Any, np.dtype[np.int64]]


@dataclass
class Chunk:
    """Records of one batch: those as wide as the header by column, the others as cells."""

    lines: Lines  # the line of each row of `columns`
    columns: list[pa.Array]  # one string array per header column
    odd: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, cells)
    end: int = 0  # the line after the last record: where the next record may begin

    def __len__(self) -> int:
        return len(self.lines) + len(self.odd)


def read_chunks(
    binary: IO[bytes],
    width: int,
    delimiter: str,
    batch_rows: int,
    block_size: int = _BLOCK,
    encoding: str = "utf-8",
    start_line: int = 1,
) -> Iterator[Chunk]:
    """Chunks of `batch_rows` records (the last may be smaller) of a file whose first
    record, on line 1, is a header of `width` columns; or, with `start_line` after 1, of
    the rest of such a file from that line on (`binary` positioned there, no header)."""
    odd: list[tuple[int, str]] = []  # (record number, text), as pyarrow reports them

    def keep_odd(row: Any) -> str:
        if row.number is None or row.number < 0:
            raise csv.Error(f"a row of {row.actual_columns} values where {width} were expected")
        odd.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    header = start_line <= 1
    source = _PyarrowText(binary, encoding)
    reader = _open(source, names, delimiter, keep_odd, block_size, skip_rows=int(header))
    if reader is None:  # resumed at the end of the file: nothing left
        if source.failed is not None:
            raise source.failed
        return
    pending = _Pending(batch_rows)
    # The next record's number (pyarrow counts from the first row it reads, the header
    # included) and its line.
    record, line = (2, 2) if header else (1, start_line)
    while True:
        batch = _next_batch(reader, source)
        if batch is None:
            break
        record, line = _place(batch, odd, delimiter, record, line, pending)
        # Past bad bytes the text stops mid-record: its last record is never handed on.
        yield from pending.full_chunks(keep=int(source.failed is not None))
    if source.failed is not None:
        raise source.failed
    for number, text in odd:  # rows pyarrow could not split, after the last batch
        line += number - record  # records in between would have been in a batch
        pending.add_odd(line, text, delimiter, line + 1 + _breaks(text))
        line += 1 + _breaks(text)
        record = number + 1
    odd.clear()
    yield from pending.full_chunks()
    last = pending.rest()
    if last is not None:
        yield last


class _PyarrowText(io.RawIOBase):
    """The file as pyarrow needs it: UTF-8, no read ending on "\r", a line break at the end.

    - Another encoding (Shift_JIS / CP932) is decoded at most 64 KiB at a time. A bad byte
      ends the text there and is kept (`failed`): pyarrow reads ahead on a thread of its
      own, so raising it at once could reach the caller before the rows read before it;
      `read_chunks` hands those on in whole batches first, then raises it (a
      UnicodeDecodeError, as on the row path).
    - pyarrow drops the "\n" of a quoted "\r\n" that a read cuts in two, so a read ending
      on "\r" hands it over with the next one (short reads are fine for pyarrow).
    - pyarrow cannot skip a header with no line break after it ("Could not skip initial 1
      rows"), where the csv module reads no records; a missing last line break changes
      nothing else for either reader. The stream reads one byte ahead, so it knows when a
      read reaches the end and adds the break in that read.
    """

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        super().__init__()
        self.raw = raw
        self.decoder = None
        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            self.decoder = codecs.getincrementaldecoder(encoding)()  # strict: bad bytes raise
        self.buffer = b""
        self.ended = False
        self.failed: UnicodeDecodeError | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = _BLOCK if size is None or size < 0 else max(size, 1)
        parts, have = [self.buffer], len(self.buffer)
        while have <= want and not self.ended:
            data = self._next(want + 1 - have)
            parts.append(data)
            have += len(data)
        buffer = b"".join(parts)
        if self.ended and buffer and not buffer.endswith(b"\n"):
            buffer += b"\n"
        out = buffer[:want]
        if len(out) > 1 and out.endswith(b"\r") and len(buffer) > want:
            out = out[:-1]  # its "\n" may follow: keep "\r\n" in one read
        self.buffer = buffer[len(out) :]
        return out

    def _next(self, missing: int) -> bytes:
        """The next bytes of the file as UTF-8 (empty once, at its end)."""
        if self.decoder is None:
            data = self.raw.read(max(missing, _STEP))
            self.ended = not data
            return data
        data = self.raw.read(min(missing, _STEP))
        self.ended = not data
        try:
            return self.decoder.decode(data, final=self.ended).encode("utf-8")
        except UnicodeDecodeError as exc:
            self.failed, self.ended = exc, True
            return b""


def _open(
    binary: _PyarrowText,
    names: list[str],
    delimiter: str,
    on_invalid: Any,
    block_size: int,
    skip_rows: int = 1,
) -> Any:
    read = pcsv.ReadOptions(
        block_size=block_size, use_threads=False, skip_rows=skip_rows, column_names=names
    )
    parse = pcsv.ParseOptions(
        delimiter=delimiter,
        newlines_in_values=True,
        ignore_empty_lines=False,  # an empty line becomes a row of "" and keeps its line
        invalid_row_handler=on_invalid,
    )
    convert = pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        return pcsv.open_csv(
            binary, read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowInvalid as exc:
        if binary.failed is not None:
            raise binary.failed from None
        if not skip_rows and str(exc).startswith("Empty CSV file"):
            return None  # no header expected, and no bytes left
        raise _explain(exc) from None


def _next_batch(reader: Any, source: _PyarrowText) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
    except pa.ArrowInvalid as exc:
        if source.failed is not None:  # the cut text's fault: the bad bytes are the cause
            raise source.failed from None
        raise _explain(exc) from None


def _explain(exc: pa.ArrowInvalid) -> Exception:
    """pyarrow's errors as the row path's: the service explains those to people."""
    if "UTF8" in str(exc) or "UTF-8" in str(exc):
        return UnicodeDecodeError("utf-8", b"", 0, 1, "invalid UTF-8 in the file")
    return csv.Error(str(exc).splitlines()[0])


def _place(
    batch: pa.RecordBatch,
    odd: list[tuple[int, str]],
    delimiter: str,
    record: int,
    line: int,
    pending: _Pending,
) -> tuple[int, int]:
    """Give each row of `batch` (and each odd row among them) its line; returns the next
    record's number and line."""
    n = batch.num_rows
    columns = list(batch.columns)
    spans = np.ones(n, dtype=np.int64)  # lines each record takes
    for column in columns:
        if _may_break(column):
            spans += _breaks_in(column)
    numbers = record + np.arange(n, dtype=np.int64)
    taken: list[tuple[int, str]] = []
    while odd and odd[0][0] < record + n + len(taken):
        number, text = odd.pop(0)
        numbers[numbers >= number] += 1
        taken.append((number, text))
    if taken:
        odd_numbers = np.array([number for number, _ in taken], dtype=np.int64)
        odd_spans = np.array([1 + _breaks(text) for _, text in taken], dtype=np.int64)
        every = np.concatenate([numbers, odd_numbers])
        order = np.argsort(every, kind="stable")
        every_spans = np.concatenate([spans, odd_spans])[order]
        starts = np.empty_like(every_spans)
        starts[order] = line + np.cumsum(every_spans) - every_spans
        lines = starts[:n]
        odd_lines = starts[n:]
    else:
        lines = line + np.cumsum(spans) - spans
        odd_lines = np.empty(0, dtype=np.int64)
    used = int(spans.sum()) + sum(1 + _breaks(text) for _, text in taken)
    # Rows in which every cell is empty are no record (as on the row path).
    empty = None
    for column in columns:
        blank = pc.equal(pc.binary_length(column), 0)
        empty = blank if empty is None else pc.and_(empty, blank)
    if empty is not None and pc.any(empty).as_py():
        keep = pc.invert(empty)
        columns = [pc.filter(column, keep) for column in columns]
        lines = lines[keep.to_numpy(zero_copy_only=False)]
    merged = [(int(at), text) for at, (_, text) in zip(odd_lines, taken, strict=True)]
    pending.add(lines, columns, merged, delimiter, line + used)
    return record + n + len(taken), line + used


def _may_break(column: pa.Array) -> bool:
    """Whether any value holds a line break: one C search over the column's bytes."""
    data = column.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return b"\n" in raw or b"\r" in raw


def _breaks_in(column: pa.Array) -> Lines:
    """Line breaks inside each value, as universal newlines count them (\\r\\n is one)."""
    counts = [_breaks(value) for value in column.to_pylist()]
    return np.array(counts, dtype=np.int64)


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class _Pending:
    """Placed records waiting to be cut into chunks of exactly `size` records."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.parts: list[Chunk] = []
        self.count = 0

    def add(
        self,
        lines: Lines,
        columns: list[pa.Array],
        odd: list[tuple[int, str]],
        delimiter: str,
        end: int,
    ) -> None:
        """Records placed on lines before `end`."""
        cells = [(at, _cells(text, delimiter)) for at, text in odd]
        part = Chunk(lines, columns, [(at, c) for at, c in cells if any(c)], end)
        self.parts.append(part)
        self.count += len(part)

    def add_odd(self, line: int, text: str, delimiter: str, end: int) -> None:
        self.add(np.empty(0, dtype=np.int64), [], [(line, text)], delimiter, end)

    def full_chunks(self, keep: int = 0) -> Iterator[Chunk]:
        """Chunks of `size` records while more than `keep` records would stay pending."""
        while self.count - keep >= self.size:
            yield self._take(self.size)

    def rest(self) -> Chunk | None:
        return self._take(self.count) if self.count else None

    def _take(self, size: int) -> Chunk:
        """The first `size` records, in line order; what is left stays pending."""
        taken: list[Chunk] = []
        need = size
        while need:
            part = self.parts[0]
            if len(part) <= need:
                taken.append(self.parts.pop(0))
                need -= len(part)
                continue
            head, tail = _split(part, need)
            taken.append(head)
            self.parts[0] = tail
            need = 0
        self.count -= size
        return _join(taken)


def _split(part: Chunk, size: int) -> tuple[Chunk, Chunk]:
    """The first `size` records of a part (by line), and the rest."""
    cut = size
    odd_head: list[tuple[int, list[str]]] = []
    if part.odd:  # odd rows interleave with the others by line
        every = np.sort(np.concatenate([part.lines, [at for at, _ in part.odd]]))
        bound = int(every[size - 1])  # the last line taken
        cut = int(np.searchsorted(part.lines, bound, side="right"))
        odd_head = [o for o in part.odd if o[0] <= bound]
    odd_tail = part.odd[len(odd_head) :]
    tail_lines = part.lines[cut:]
    # The head ends where the tail's first record begins (rows of empty cells between
    # the two are no records either way).
    firsts = [int(tail_lines[0])] if len(tail_lines) else []
    end = min([*firsts, *(at for at, _ in odd_tail[:1])], default=part.end)
    head = Chunk(part.lines[:cut], [c.slice(0, cut) for c in part.columns], odd_head, end)
    tail = Chunk(tail_lines, [c.slice(cut) for c in part.columns], odd_tail, part.end)
    return head, tail


def _join(parts: list[Chunk]) -> Chunk:
    end = max(p.end for p in parts)  # parts of no record still move the end on
    parts = [p for p in parts if len(p)]
    with_rows = [p for p in parts if len(p.lines)]
    odd = [o for p in parts for o in p.odd]
    if len(with_rows) == 1:
        return Chunk(with_rows[0].lines, with_rows[0].columns, odd, end)
    if not with_rows:
        return Chunk(np.empty(0, dtype=np.int64), [], odd, end)
    width = len(with_rows[0].columns)
    columns = [pa.concat_arrays([p.columns[i] for p in with_rows]) for i in range(width)]
    return Chunk(np.concatenate([p.lines for p in with_rows]), columns, odd, end)


def _cells(text: str, delimiter: str) -> list[str]:
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        return cells
    return []
