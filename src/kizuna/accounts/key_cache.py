"""API keys that authenticated a moment ago, so that a busy client's calls skip the lookup.

Looking a key up costs an ORM query in its own transaction and a worker-thread hop on every
call; a batch client sends the same key many times a second. An entry is trusted for
`FRESH_SECONDS` after its lookup; the next call after that looks the key up again (which
also keeps `last_used_at` to the minute, as before).

What a revoked key can still do:

- in the process that revoked it (the admin page, the API or a script's `revoke_api_key`):
  nothing. Revoking bumps a generation counter that every entry is checked against, both at
  once and when the revoking transaction commits (a lookup racing the revocation cannot
  keep the key alive), so the next call looks the key up and is refused;
- in other processes (a second server worker, `kizuna apikey revoke` from the CLI): calls
  accepted for at most `FRESH_SECONDS` (2 s) after the revocation commits, then refused.

An expired key is refused from its expiry instant on: the expiry is checked on every call.
The workspace's row as it was at the lookup (name, time zone) is used for those seconds too.
Keys are held by their SHA-256, never in clear. Pure: no web, no queries of its own.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, make_transient_to_detached

from kizuna.accounts.models import ApiKey, Workspace
from kizuna.accounts.security import hash_api_key
from kizuna.db.base import utcnow

__all__ = ["FRESH_SECONDS", "KnownKey", "forget_keys", "generation", "known_key", "remember_key"]

FRESH_SECONDS = 2.0
_MAX_KEYS = 1024  # per engine; a full cache is emptied (a flood of keys only costs lookups)
_WORKSPACE_COLUMNS = tuple(column.key for column in Workspace.__table__.columns)

_caches: weakref.WeakKeyDictionary[Engine, dict[str, KnownKey]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_generation = 0
_clock = time.monotonic  # a test moves it on


@dataclass(frozen=True)
class KnownKey:
    """What authenticating a key found: enough to answer the next calls without a query."""

    key_id: int
    role: str
    scopes: tuple[str, ...]
    expires_at: Any  # datetime | None (aware, UTC)
    workspace_row: Mapping[str, Any]
    looked_up: float  # _clock(): time.monotonic()
    generation: int

    def workspace(self) -> Workspace:
        """A fresh detached copy of the workspace's row, one per call (as a lookup gives)."""
        found = Workspace(**self.workspace_row)
        make_transient_to_detached(found)
        return found


def generation() -> int:
    """Read before a lookup and given to `remember_key`: a revocation in between wins."""
    return _generation


def known_key(engine: Engine, key: str) -> KnownKey | None:
    """The key's entry while it is fresh, unexpired and no revocation came after it."""
    cache = _caches.get(engine)
    if not cache or not key:
        return None
    found = cache.get(hash_api_key(key))
    if (
        found is None
        or found.generation != _generation
        or _clock() - found.looked_up > FRESH_SECONDS
        or (found.expires_at is not None and found.expires_at <= utcnow())
    ):
        return None
    return found


def remember_key(
    engine: Engine, key: str, api_key: ApiKey, workspace: Workspace, seen: int
) -> KnownKey:
    """Keep what a lookup (started at generation `seen`) found for the next calls."""
    entry = KnownKey(
        key_id=api_key.id,
        role=api_key.role,
        scopes=tuple(api_key.scopes or ()),
        expires_at=api_key.expires_at,
        workspace_row={name: getattr(workspace, name) for name in _WORKSPACE_COLUMNS},
        looked_up=_clock(),
        generation=seen,
    )
    with _lock:
        cache = _caches.setdefault(engine, {})
        if len(cache) >= _MAX_KEYS:
            cache.clear()
        cache[hash_api_key(key)] = entry
    return entry


def _bump() -> None:
    global _generation
    with _lock:
        _generation += 1


def forget_keys(session: Session | None = None) -> None:
    """Every entry of this process stops counting: now, and again when `session` commits."""
    _bump()
    if session is not None:
        event.listen(session, "after_commit", lambda _session: _bump(), once=True)
