"""The full-text index of voices, kept in step with them, and the ids a query finds in it.

One table, `feedback_search`, two engines, the same terms (`kizuna.feedback.search_terms`):

- SQLite: an FTS5 table (rowid = feedback id, `workspace_id` unindexed) over the terms
  joined by spaces, tokenised by unicode61, which splits exactly where they were joined;
  a word is the FTS5 phrase of its terms;
- PostgreSQL: a `tsvector` written from the terms and their positions (no text-search
  parser is involved, so the database's locale cannot change what is found) with a GIN
  index; a word is the `<->` phrase of its terms.

The index is written by the subscriber of `voice.recorded` (`index_recorded_voices`), which
every write path raises in the data's transaction (one voice, an import batch, the batch
API): imports run at their own pace and the index follows a moment later. Until it has, a
workspace's newest voices (ids above `feedback_search_state.indexed_through`) are searched
by substring, so a voice is found the moment it is stored. `reindex_workspace` (the
`kizuna voices reindex` command, and the migration for voices stored before it) rebuilds
a workspace. Every query names its workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.feedback.models import Feedback, FeedbackSearchState
from kizuna.feedback.search_terms import SearchQuery, index_terms

if TYPE_CHECKING:
    from kizuna.app import Kizuna
    from kizuna.feedback.events import VoicesRecorded

__all__ = [
    "INDEX_TABLES",
    "index_recorded_voices",
    "index_voices",
    "indexed_through",
    "matching_ids",
    "reindex_workspace",
]

# SQLite's FTS5 table and the shadow tables it keeps; the models do not describe them.
INDEX_TABLES = frozenset(
    f"feedback_search{suffix}"
    for suffix in ("", "_data", "_idx", "_content", "_docsize", "_config")
)
_CHUNK = 2000
_MAX_POSITION = 16383  # PostgreSQL's largest tsvector position


def _tsvector(terms: Sequence[str]) -> str:
    """A tsvector literal: each term with its positions, quoted."""
    positions: dict[str, list[int]] = {}
    for at, term in enumerate(terms, start=1):
        positions.setdefault(term, []).append(min(at, _MAX_POSITION))
    return " ".join(
        "'{}':{}".format(
            term.replace("\\", "\\\\").replace("'", "''"), ",".join(map(str, sorted(set(at))))
        )
        for term, at in positions.items()
    )


def _write(conn: Connection, workspace_id: int, rows: Sequence[tuple[int, str | None]]) -> None:
    """Replace the index entries of these voices."""
    if not rows:
        return
    ids = [fid for fid, _ in rows]
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("DELETE FROM feedback_search WHERE feedback_id = ANY(:ids)"), {"ids": ids}
        )
        conn.execute(
            text(
                "INSERT INTO feedback_search (feedback_id, workspace_id, terms) "
                "VALUES (:id, :ws, CAST(:terms AS tsvector))"
            ),
            [
                {"id": fid, "ws": workspace_id, "terms": _tsvector(index_terms(t))}
                for fid, t in rows
            ],
        )
    else:
        conn.execute(
            text("DELETE FROM feedback_search WHERE rowid IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        conn.execute(
            text("INSERT INTO feedback_search (rowid, terms, workspace_id) VALUES (:id, :t, :ws)"),
            [{"id": fid, "t": " ".join(index_terms(t)), "ws": workspace_id} for fid, t in rows],
        )
    _advance(conn, workspace_id, max(ids))


def _advance(conn: Connection, workspace_id: int, through: int) -> None:
    """Move the workspace's mark to `through` unless it is already past it (atomic)."""
    table = FeedbackSearchState.__table__
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
    statement = insert(table).values(workspace_id=workspace_id, indexed_through=through)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id"],
            set_={"indexed_through": statement.excluded.indexed_through},
            where=table.c.indexed_through < statement.excluded.indexed_through,
        )
    )


def index_voices(conn: Connection, workspace_id: int, ids: Iterable[int]) -> int:
    """Index (again) these voices of the workspace, from their stored text; how many."""
    wanted = sorted(set(ids))
    done = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            select(Feedback.id, Feedback.text).where(
                Feedback.workspace_id == workspace_id, Feedback.id.in_(chunk)
            )
        ).all()
        _write(conn, workspace_id, [(int(i), t) for i, t in rows])
        done += len(rows)
    return done


def index_recorded_voices(kz: Kizuna, session: Session, event: VoicesRecorded) -> None:
    """Subscriber of `voice.recorded`: index the new or changed voices, in its transaction."""
    index_voices(session.connection(), event.workspace_id, event.feedback_ids)


def reindex_workspace(
    conn: Connection, workspace_id: int, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild the index of every voice of the workspace (oldest first); how many.

    The caller commits; a chunk at a time keeps memory flat."""
    # On SQLite the FTS5 table filters its unindexed workspace column as it scans: fine for a
    # rebuild, which reads every voice anyway.
    conn.execute(text("DELETE FROM feedback_search WHERE workspace_id = :ws"), {"ws": workspace_id})
    conn.execute(
        update(FeedbackSearchState)
        .where(FeedbackSearchState.workspace_id == workspace_id)
        .values(indexed_through=0)
    )
    after, done = 0, 0
    while True:
        rows = conn.execute(
            select(Feedback.id, Feedback.text)
            .where(Feedback.workspace_id == workspace_id, Feedback.id > after)
            .order_by(Feedback.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return done
        _write(conn, workspace_id, [(int(i), t) for i, t in rows])
        done += len(rows)
        after = int(rows[-1][0])
        if progress is not None:
            progress(done)


def indexed_through(session: Session, workspace_id: int) -> int:
    """The largest voice id the index has read for the workspace (0 before any)."""
    found = session.scalar(
        select(FeedbackSearchState.indexed_through).where(
            FeedbackSearchState.workspace_id == workspace_id
        )
    )
    return int(found or 0)


def _fts5_match(phrases: Sequence[Sequence[str]]) -> str:
    return " AND ".join('"{}"'.format(" ".join(p).replace('"', '""')) for p in phrases)


def _tsquery(phrases: Sequence[Sequence[str]]) -> str:
    def lexeme(term: str) -> str:
        return "'{}'".format(term.replace("\\", "\\\\").replace("'", "''"))

    return " & ".join("(" + " <-> ".join(map(lexeme, p)) + ")" for p in phrases)


def matching_ids(
    session: Session,
    workspace_id: int,
    query: SearchQuery,
    *,
    below: int,
    limit: int,
) -> list[int]:
    """Ids of the workspace's indexed voices holding every phrase, largest first, below
    `below`, at most `limit` (the caller pages on with the last one)."""
    params: dict[str, Any] = {"ws": workspace_id, "below": below, "n": limit}
    if session.get_bind().dialect.name == "postgresql":
        return _matching_ids_pg(session, params | {"q": _tsquery(query.phrases)})
    params["q"] = _fts5_match(query.phrases)
    sql = (
        "SELECT rowid FROM feedback_search WHERE feedback_search MATCH :q "
        "AND workspace_id = :ws AND rowid < :below ORDER BY rowid DESC LIMIT :n"
    )
    return [int(i) for i in session.scalars(text(sql), params)]


# PostgreSQL: how many of the newest indexed voices below the cursor are tested one by one
# for each id wanted, before the GIN index is asked for the rest.
_WINDOW_PER_ID = 50
_WINDOW_LEAST = 2_000
_WINDOW_MOST = 50_000


def _matching_ids_pg(session: Session, params: dict[str, Any]) -> list[int]:
    """`matching_ids` on PostgreSQL: the newest voices first, then the GIN index.

    The planner estimates a query's matches from each term's frequency as if terms were
    independent; words that go together (心遣い and 感動: 10% of the voices, estimated
    0.1%) are then read through the GIN index (every match fetched and rechecked, then
    sorted: 0.3-1 s at 1 M voices) where walking the newest voices would find a page in
    a few hundred rows. So a bounded window of the newest voices (50 per id wanted, at most
    50,000: a few ms) is tested first, and only what it leaves is asked of the index, below
    the window: rare words cost one window more, common ones never reach the index.
    """
    window = min(max(params["n"] * _WINDOW_PER_ID, _WINDOW_LEAST), _WINDOW_MOST)
    newest = (
        "(SELECT feedback_id, terms FROM feedback_search WHERE workspace_id = :ws "
        "AND feedback_id < :below ORDER BY feedback_id DESC LIMIT :window) AS newest"
    )
    params = params | {"window": window}
    # Walked newest first and stopped at the n-th match: a common word reads a few rows.
    found = [
        int(i)
        for i in session.scalars(
            text(
                f"SELECT feedback_id FROM {newest} WHERE terms @@ CAST(:q AS tsquery) "
                "ORDER BY feedback_id DESC LIMIT :n"
            ),
            params,
        )
    ]
    if len(found) >= params["n"]:
        return found
    lowest, read = session.execute(
        text(f"SELECT min(feedback_id), count(*) FROM {newest}"), params
    ).one()
    if int(read) < window:
        return found  # the window held every voice below the cursor
    rest = session.scalars(
        text(
            "SELECT feedback_id FROM feedback_search WHERE terms @@ CAST(:q AS tsquery) "
            "AND workspace_id = :ws AND feedback_id < :below "
            "ORDER BY feedback_id DESC LIMIT :n"
        ),
        params | {"below": int(lowest), "n": params["n"] - len(found)},
    )
    return found + [int(i) for i in rest]


def count_pending(session: Session, workspace_id: int) -> int:
    """How many of the workspace's voices the index has not read yet (newest ones)."""
    mark = indexed_through(session, workspace_id)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.id > mark, Feedback.workspace_id == workspace_id)
        )
        or 0
    )
