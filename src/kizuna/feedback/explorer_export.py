"""The voice explorer's export: the matching voices with every analysis column and their
tags, as CSV (UTF-8 with the BOM Japanese Excel needs to read it as UTF-8, CRLF) or XLSX.

`write_voices` streams to a file a batch at a time (the CLI, any number of voices);
`export_voices` gives bytes for a download, at most MAX_EXPORT voices. Text cells pass
through `kizuna.cells.safe_cell`, so a comment can never run as a formula (codes and
numbers need no such care).

An export of a million voices must take seconds, not minutes, so this room reads the
explorer's own statement (`explorer.voice_query`, the same filters and order as the page) but
takes its rows as the database driver gives them: no result rows or type processors, the
JSON decoded once here, the date shown and the language picked by the database, big
statements (there is no page to fill) taken from the driver a chunk at a time and written
by `csv.writer.writerows` as they are made, so that no row outlives its chunk (long-lived
rows made the garbage collector sweep the whole process again and again), tags read by an
id range rather than a list of ids written into the statement.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from itertools import islice
from typing import IO, Any

from sqlalchemy import ColumnElement, Select, Text, bindparam, case, cast, func, literal, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.cells import FORMULA_FIRST, safe_cell
from kizuna.errors import InvalidInput
from kizuna.feedback.explorer import contains, voice_query
from kizuna.feedback.explorer_filter import EMOTIONS, VoiceFilter
from kizuna.feedback.models import Feedback, VoiceTag, VoiceTagging
from kizuna.feedback.search import indexed_through, matching_ids
from kizuna.feedback.search_terms import parse_query

__all__ = ["EXPORT_COLUMNS", "FORMATS", "MAX_EXPORT", "export_voices", "write_voices"]

MAX_EXPORT = 100_000
FORMATS = ("csv", "xlsx")
_BATCH = 16_000  # rows a statement reads: no page to fill; also the most ids one IN list holds
_CHUNK = 2_000  # rows taken from the driver, tagged and written at once

EXPORT_COLUMNS = (
    "id", "received_at", "channel", "touchpoint", "source", "customer_id", "customer_ref",
    "nps", "csat", "ces", "rating", "text", "language", "sentiment", "sentiment_score",
    "delight", "expectation", *(f"emotion_{e}" for e in EMOTIONS), "topics",
    "experience_values", "engine_version", "tags",
)  # fmt: skip

# The statement's columns (`explorer._columns`) in the order a row of the file uses them;
# `_plain` shows the date and picks the language in SQL.
_READ = (
    "id", "received_at", "channel", "touchpoint", "source", "customer_id", "customer_ref",
    "nps", "csat", "ces", "rating", "text", "analysis_language", "sentiment",
    "sentiment_score", "delight", "expectation", "emotions", "topics", "experience_values",
    "engine_version",
)  # fmt: skip
_JSON = ("emotions", "topics", "experience_values")
_NO_EMOTIONS = (None,) * len(EMOTIONS)
# The date as `_when` shows it, in SQL; on SQLite a text that is not what SQLAlchemy wrote
# comes back marked with `_RAW` in front, for `_when` to read.
_RAW = "!"
_PG_WHEN = 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'

Batch = tuple[Sequence[Any], dict[int, list[str]]]  # driver rows in _READ order; tags


def _topics(topics: list[dict[str, Any]], scores: dict[Any, str]) -> str:
    """`room:negative(-0.50); staff:positive`; `scores` keeps each score as shown (the engine
    rounds them to three places: a few thousand values; formatting was a tenth of a row)."""
    shown: list[str] = []
    for t in topics:
        if "score" not in t:
            shown.append(f"{t.get('topic')}:{t.get('sentiment')}")
            continue
        score = t["score"]
        # 0.0 and -0.0 are one key but two texts (+0.00, -0.00): zero is not kept.
        text = scores.get(score) if score else None
        if text is None:
            text = f"({score:+.2f})"
            if score and len(scores) < 100_000:
                scores[score] = text
        shown.append(f"{t.get('topic')}:{t.get('sentiment')}{text}")
    return "; ".join(shown)


# What json.loads calls inside (`JSONDecoder.scan_once`, the C scanner when there is one).
_scan_json: Callable[[str, int], tuple[Any, int]]
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json(text: Any) -> Any:
    """The value of the JSON text, as `json.loads` (what SQLAlchemy's JSON type calls)
    gives it, read by the decoder's own C scanner without the two regular expressions
    `json.loads` runs around it: a third of a row's time went there."""
    if not isinstance(text, str):
        return text
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:  # leading blanks, or not JSON: json.loads skips or raises
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _when(value: Any) -> str:
    """The UTC instant as `2026-10-01T01:00:00+00:00` (stored naive UTC, see UTCDateTime).

    SQLite gives the text SQLAlchemy wrote (`2026-10-01 01:00:00.123456`): cut, not parsed."""
    if isinstance(value, str):
        if len(value) >= 19 and value[10] in " T" and value[19:20] in ("", "."):
            return f"{value[:10]}T{value[11:19]}+00:00"
        value = dt.datetime.fromisoformat(value)
    when: str = value.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")
    return when


def _rows(
    batch: Batch, shown_values: dict[str | None, str], scores: dict[Any, str]
) -> Iterator[list[Any]]:
    """The file's rows of one batch, one at a time: a row lives only until it is written.

    `shown_values` keeps experience values as shown by their JSON text (a handful of names,
    so a few combinations make nearly every row, and decoding each would cost more; start
    it as `{None: ""}`), `scores` the topic scores (`_topics`), for the whole export."""
    found, tags = batch
    risky = FORMULA_FIRST  # safe_cell changes only cells starting with one of these
    no_tags: list[str] = []
    for (fid, when, channel, touchpoint, source, customer_id, customer_ref, nps, csat, ces,
         rating, text, language, sentiment, sentiment_score, delight, expectation, emotions,
         topics, values, engine_version) in found:  # fmt: skip
        emotions = _json(emotions)
        topics = _json(topics)
        shown = shown_values.get(values)
        if shown is None:
            shown = " ".join(_json(values) or ())
            if len(shown_values) < 1_000:
                shown_values[values] = shown
        shown_topics = _topics(topics, scores) if topics else ""
        shown_tags = ", ".join(tags.get(fid, no_tags))
        yield [
            fid,
            when if when[0] != _RAW else _when(when[1:]),
            safe_cell(channel) if channel and channel[0] in risky else channel,
            safe_cell(touchpoint) if touchpoint and touchpoint[0] in risky else touchpoint,
            safe_cell(source) if source and source[0] in risky else source,
            customer_id,
            safe_cell(customer_ref) if customer_ref and customer_ref[0] in risky
            else customer_ref,
            nps,
            csat,
            ces,
            rating,
            safe_cell(text) if text and text[0] in risky else text,
            language,
            sentiment,
            sentiment_score,
            delight,
            expectation,
            *(map(emotions.get, EMOTIONS) if emotions else _NO_EMOTIONS),
            safe_cell(shown_topics) if shown_topics and shown_topics[0] in risky
            else shown_topics,
            shown,
            engine_version,
            safe_cell(shown_tags) if shown_tags and shown_tags[0] in risky else shown_tags,
        ]  # fmt: skip


def _shown_when(column: Any, dialect: str) -> ColumnElement[Any]:
    """`received_at` as the file shows it (`_when`), cut by the database: PostgreSQL's
    `to_char` of the naive UTC timestamp (seconds truncated, as `isoformat` does); on SQLite
    the text SQLAlchemy wrote cut the way `_when` cuts it, any other text marked `_RAW`."""
    if dialect == "postgresql":
        shown: ColumnElement[Any] = func.to_char(column, literal(_PG_WHEN))
        return shown
    text = cast(column, Text)
    return case(
        (
            (func.length(text) >= 19)
            & func.substr(text, 11, 1).in_((" ", "T"))
            & func.substr(text, 20, 1).in_(("", ".")),
            func.substr(text, 1, 10, type_=Text)
            + "T"
            + func.substr(text, 12, 8, type_=Text)
            + "+00:00",
        ),
        else_=literal(_RAW, Text) + text,
    )


def _plain(query: Select[Any], dialect: str) -> Select[Any]:
    """The statement's columns in _READ order; the date as shown and the language (the
    analysis', else the voice's, as `analysis_language or voice_language`) from SQL; on
    PostgreSQL the JSON as its text, which Python decodes faster than psycopg's loader does
    from bytes."""
    columns = query.selected_columns
    shown: dict[str, Any] = {
        "received_at": _shown_when(columns["received_at"], dialect),
        "analysis_language": func.coalesce(
            func.nullif(columns["analysis_language"], ""), columns["voice_language"]
        ),
    }
    return query.with_only_columns(
        *(
            shown[name]
            if name in shown
            else cast(columns[name], Text)
            if dialect == "postgresql" and name in _JSON
            else columns[name]
            for name in _READ
        ),
        maintain_column_froms=False,
    )


def _ids(column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column IN (ids)` with the integers written into the statement: 16,000 bound
    parameters cost psycopg a third of a second to parse."""
    within: ColumnElement[bool] = column.in_(
        bindparam("ids", ids, expanding=True, literal_execute=True)
    )
    return within


def _tags(session: Session, workspace_id: int, ids: list[int]) -> dict[int, list[str]]:
    """The tags of these voices by name, in the order `explorer.tags_of` gives them: those
    of every voice between the lowest and highest id (an index range, not a list of 16,000
    ids to write into the statement); the rows look up their own."""
    found: dict[int, list[str]] = {}
    rows = session.connection().execute(
        select(VoiceTagging.feedback_id, VoiceTag.name)
        .join(VoiceTag, VoiceTag.id == VoiceTagging.tag_id)
        .where(
            VoiceTagging.workspace_id == workspace_id,
            VoiceTagging.feedback_id.between(min(ids), max(ids)),
        )
        .order_by(VoiceTag.name)
    )
    for fid, name in rows.cursor.fetchall():
        found.setdefault(int(fid), []).append(str(name))
    rows.close()
    return found


def _fetch(session: Session, workspace: Workspace, query: Select[Any]) -> Iterator[Batch]:
    """The statement's rows as the driver gives them (plain tuples in _READ order) with
    their tags, `_CHUNK` at a time: rows that are written soon after they are read die
    young, where a whole batch held at once lived long enough to make the garbage collector
    sweep every object of the process again and again (a sixth of the export's time)."""
    result = session.connection().execute(query)
    try:
        while found := result.cursor.fetchmany(_CHUNK):
            yield found, _tags(session, workspace.id, [raw[0] for raw in found])
    finally:
        result.close()


def _scan(session: Session, workspace: Workspace, query: Select[Any], size: int) -> Iterator[Batch]:
    """Every row of the query, newest first, `size` a statement (keyset: below the last id)."""
    below = None
    while True:
        read = 0
        statement = query if below is None else query.where(Feedback.id < below)
        for batch in _fetch(session, workspace, statement.limit(size)):
            read += len(batch[0])
            below = batch[0][-1][0]
            yield batch
        if read < size:
            return


def _batches(
    session: Session, workspace: Workspace, wanted: VoiceFilter, size: int
) -> Generator[Batch]:
    """The voices `explorer.matching_rows` finds, in its order, a batch at a time: words
    through the search index, the newest voices it has not read yet by substring."""
    words = parse_query(wanted.q)
    query = _plain(
        voice_query(session, workspace, wanted, cues=False), session.get_bind().dialect.name
    )
    query = query.where(*map(contains, words.substrings))
    if not words.phrases:
        yield from _scan(session, workspace, query, size)
        return
    mark = indexed_through(session, workspace.id)
    fresh = query.where(Feedback.id > mark, *map(contains, words.words))
    yield from _scan(session, workspace, fresh, size)
    below = mark + 1
    while True:
        ids = matching_ids(session, workspace.id, words, below=below, limit=size)
        if ids:
            yield from _fetch(session, workspace, query.where(_ids(Feedback.id, ids)))
        if len(ids) < size:
            return
        below = ids[-1]


def _read_ahead(batches: Generator[Batch]) -> Generator[Batch]:
    """The batches as a second thread reads them, a batch or two ahead: PostgreSQL finds the
    next rows while this thread writes (at 200,000 voices the wall time fell by a third to
    a half). The session is the reader's alone until the last batch is read or the writer
    stops. Not for SQLite: its step saves little, and an in-memory database's connection
    belongs to one thread."""
    ready: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: Batch | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
            hand_over(None)
        except BaseException as error:  # handed to the writer, raised there
            hand_over(error)
        finally:
            batches.close()

    reader = threading.Thread(target=read, name="kizuna-voices-export", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Export format must be csv or xlsx (got {fmt!r}).",
            f"書き出し形式は csv か xlsx にしてください(指定 {fmt!r})。",
        )


def _limited(
    session: Session, workspace: Workspace, wanted: VoiceFilter, limit: int | None
) -> Iterator[tuple[int, Iterator[list[Any]]]]:
    """The file's rows a batch at a time (how many, and the rows), at most `limit` in all."""
    left = limit
    size = _BATCH if limit is None else max(1, min(_BATCH, limit))
    batches = _batches(session, workspace, wanted, size)
    if session.get_bind().dialect.name == "postgresql":
        batches = _read_ahead(batches)
    shown_values: dict[str | None, str] = {None: ""}
    scores: dict[Any, str] = {}
    with closing(batches):  # the reader stops now, not when the generator is collected
        for batch in batches:
            count = len(batch[0])
            rows = _rows(batch, shown_values, scores)
            if left is not None:
                count = min(count, left)
                rows = islice(rows, count)
                left -= count
            if count:
                yield count, rows
            if left == 0:
                return


def write_voices(
    session: Session,
    workspace: Workspace,
    wanted: VoiceFilter,
    fmt: str,
    out: IO[bytes],
    *,
    limit: int | None = None,
) -> int:
    """Write the matching voices (newest first, at most `limit`) to a binary file; how many."""
    _check(fmt)
    written = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for count, rows in _limited(session, workspace, wanted, limit):
            writer.writerows(rows)
            written += count
        text.flush()
        text.detach()
        return written
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("voices")
    sheet.append(list(EXPORT_COLUMNS))
    for count, rows in _limited(session, workspace, wanted, limit):
        for row in rows:
            sheet.append(row)
        written += count
    book.save(out)
    return written


def export_voices(
    session: Session, workspace: Workspace, wanted: VoiceFilter, fmt: str
) -> tuple[bytes, int]:
    """The matching voices (at most MAX_EXPORT, newest first) with every analysis column, as
    CSV (UTF-8 with the BOM Japanese Excel needs) or XLSX bytes; and how many rows."""
    _check(fmt)
    data = io.BytesIO()
    rows = write_voices(session, workspace, wanted, fmt, data, limit=MAX_EXPORT)
    return data.getvalue(), rows
