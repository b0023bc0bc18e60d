"""Byte offsets of line starts, as the readers count lines: what an import resumes from."""

from __future__ import annotations

import io
import random
import re

import pytest

from kizuna.ingest import lines
from kizuna.ingest.lines import LineOffsets, breaks_are_bytes


def _starts(data: bytes) -> list[int]:
    """Where each line begins, found the slow way (line 1 at 0)."""
    return [0, *(m.end() for m in re.finditer(rb"\r\n?|\n", data))]


def test_offsets_of_lines_with_every_kind_of_break_across_block_edges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    for _ in range(400):
        data = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randint(0, 60)))
        monkeypatch.setattr(lines, "_BLOCK", rng.randint(1, 7))  # "\r" | "\n" cut apart
        starts = _starts(data)
        first = rng.randint(1, len(starts))  # a read that resumed at that line
        found = LineOffsets(io.BytesIO(data[starts[first - 1] :]), first, starts[first - 1])
        for line in sorted(rng.sample(range(first, len(starts) + 3), 3)):
            expected = starts[line - 1] if line <= len(starts) else len(data)
            assert found.offset_of(line) == expected, (data, first, line)


def test_a_line_in_a_block_already_passed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "_BLOCK", 2)
    found = LineOffsets(io.BytesIO(b"a\nb\nc\n"))
    assert found.offset_of(3) == 4
    with pytest.raises(ValueError, match="passed already"):
        found.offset_of(1)


def test_only_encodings_whose_line_breaks_are_single_bytes_get_offsets() -> None:
    assert all(breaks_are_bytes(name) for name in ("utf-8", "utf-8-sig", "cp932", "Shift_JIS"))
    assert not any(breaks_are_bytes(name) for name in ("utf-16", "utf-32", "no-such-codec"))
