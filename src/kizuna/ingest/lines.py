"""Where each line of a text file begins, in bytes: the offset an interrupted import
resumes from.

The readers number lines as the csv module does (universal newlines: "\\r\\n", "\\r" and
"\\n" each end a line, including breaks inside quoted values), and every record begins at
the start of a line. `LineOffsets` walks the file's bytes once, forwards, on a handle of its
own, counting those breaks a block at a time with `bytes.count` (C speed), so the offset of
a batch boundary costs a scan of the bytes since the previous one and nothing more.

It works on the bytes as stored, which is only right where a line break is the one byte
it is in ASCII and never part of another character: UTF-8 and the Japanese multi-byte
encodings (Shift_JIS / CP932 and EUC-JP keep every byte of a two-byte character at 0x40
or above). `breaks_are_bytes` tells those encodings; for any other, no offset is kept.
"""

from __future__ import annotations

import codecs
from typing import IO, Any

import numpy as np

__all__ = ["LineOffsets", "breaks_are_bytes"]

_BLOCK = 1 << 20
_SAFE = {"utf-8", "utf-8-sig", "cp932", "shift_jis", "euc_jp", "ascii", "latin-1"}
Ends = np.ndarray[Any, np.dtype[np.int64]]


def breaks_are_bytes(encoding: str) -> bool:
    """Whether line breaks are single ASCII bytes in this encoding, never inside a character."""
    try:
        return codecs.lookup(encoding).name in _SAFE
    except LookupError:
        return False


class LineOffsets:
    """Byte offsets of line starts, asked for in increasing line order.

    `binary` is positioned at the start of line `line` (offset `offset`): the start of the
    file (line 1, offset 0) or where a resumed read began. The file is read a block at a
    time; the line starts of a block are found at once with NumPy.
    """

    def __init__(self, binary: IO[bytes], line: int = 1, offset: int = 0) -> None:
        self.binary = binary
        self.base = line  # the line that holds buffer[0]
        self.base_start = offset  # where that line begins
        self.start = offset  # the file offset of buffer[0]
        self.buffer = b""
        self.ends: Ends = np.empty(0, dtype=np.int64)  # line starts within the buffer
        self.ended = False

    def offset_of(self, line: int) -> int:
        """The offset where `line` begins (the end of the file when it has fewer lines)."""
        if line < self.base:
            raise ValueError(f"line {line} was passed already (now at line {self.base})")
        while line > self.base + len(self.ends):
            if not self._next_block():
                return self.start + len(self.buffer)
        if line == self.base:
            return self.base_start
        return self.start + int(self.ends[line - self.base - 1])

    def _next_block(self) -> bool:
        """Read on (False at the end). A "\r" that ends a block waits for the next one:
        its "\n" may begin it."""
        if self.ended:
            return False
        if len(self.ends):
            self.base_start = self.start + int(self.ends[-1])
        self.base += len(self.ends)
        kept = b"\r" if self.buffer.endswith(b"\r") else b""
        self.start += len(self.buffer) - len(kept)
        data = self.binary.read(_BLOCK)
        self.buffer = kept + data
        if not data:  # a "\r" at the very end of the file ends its last line
            self.ended = True
            self.ends = np.ones(1 if kept else 0, dtype=np.int64)
            return bool(kept)
        self.ends = _line_starts(self.buffer)
        return True


def _line_starts(buffer: bytes) -> Ends:
    """Where each line after the first begins: after "\n", "\r\n" or a lone "\r" (not a
    final "\r", which the next block decides)."""
    data = np.frombuffer(buffer, dtype=np.uint8)
    newline = data == 10
    if buffer.find(b"\r") < 0:
        return np.flatnonzero(newline) + 1
    alone = data == 13
    alone[:-1] &= ~newline[1:]
    alone[-1] = False
    return np.flatnonzero(newline | alone) + 1
