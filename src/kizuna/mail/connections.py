"""SMTP connections kept open between deliveries: one pool per process.

Opening a connection costs the TCP (and TLS) handshakes, the greeting, EHLO, STARTTLS and
the login: several round trips, and a new session on the server, for every message. A worker
delivering a survey's ten thousand invitations keeps its connection instead:

- A connection serves one thread at a time: taken from the pool, used for one message, put
  back once the server accepted it. Any failure closes it (its state is unknown), so a
  refused or dropped message is retried on a new connection, classified as before.
- A kept connection is only ever put back after a completed transaction (DATA answered),
  so it is in the state a new one is after EHLO. If the server closed it meanwhile (its
  idle time-out, a restart, a limit of messages per connection), the message's first
  command, MAIL FROM, finds it closed (or answered 421, "closing"): a new connection is
  opened and the message goes on that. Nothing of the message has reached the server at
  that point, so this never causes a duplicate, and costs no round trip when all is well
  (a NOOP or RSET check before every message would cost one of the five). Any failure after
  MAIL FROM is classified as on a new connection; every command waits at most the
  connection's time-out (KIZUNA_SMTP_TIMEOUT_SECONDS).
- Connections idle longer than `idle_seconds` are closed (QUIT) by a reaper thread, well
  before the 5 minutes a server may wait (RFC 5321 4.5.3.2.7), and every idle one is closed
  when the process exits (`kizuna worker` stopping, the web process ending).
- The pool is keyed by the whole `SmtpConfig`: changed settings get new connections. A child
  process made by fork starts with an empty pool and never touches its parent's sockets.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import smtplib
import threading
import time
from collections.abc import Callable

from kizuna.mail.errors import MailNotConfigured
from kizuna.mail.transport import SmtpConfig, StaleConnection, open_connection, send_on

__all__ = ["SmtpPool", "close_smtp_connections", "deliver_pooled", "smtp_pool"]

log = logging.getLogger(__name__)

IDLE_SECONDS = 10.0
MAX_IDLE_PER_SERVER = 4


class SmtpPool:
    """Open SMTP connections waiting for the next message, per server settings; thread-safe."""

    def __init__(
        self, *, idle_seconds: float = IDLE_SECONDS, max_idle: int = MAX_IDLE_PER_SERVER
    ) -> None:
        self.idle_seconds = idle_seconds
        self.max_idle = max_idle
        self.opened = 0  # connections opened so far (tests and benchmarks read it)
        self._lock = threading.Lock()
        self._idle: dict[SmtpConfig, list[tuple[smtplib.SMTP, float]]] = {}
        self._reaper: threading.Thread | None = None
        self._pid = os.getpid()

    def __repr__(self) -> str:
        return f"SmtpPool(idle={self.idle_count()}, opened={self.opened})"

    def deliver(
        self,
        config: SmtpConfig,
        message: bytes,
        *,
        sender: str,
        recipient: str,
        handing: Callable[[], None] | None = None,
    ) -> None:
        """Send `message` on a kept connection (or a new one); raises a MailDeliveryFailed.
        `handing` as `kizuna.mail.transport.send_on` calls it."""
        if not config.host:
            raise MailNotConfigured()
        smtp = self._take(config)
        if smtp is not None:
            try:
                send_on(
                    smtp,
                    config,
                    message,
                    sender=sender,
                    recipient=recipient,
                    reused=True,
                    handing=handing,
                )
            except StaleConnection:
                log.info("kept SMTP connection to %s was closed; opening another", config.where)
                _close(smtp, polite=False)
                smtp = None
            except BaseException:
                _close(smtp, polite=False)
                raise
            else:
                self._put(config, smtp)
                return
        smtp = open_connection(config)
        with self._lock:
            self.opened += 1
        try:
            send_on(smtp, config, message, sender=sender, recipient=recipient, handing=handing)
        except BaseException:
            _close(smtp, polite=False)
            raise
        self._put(config, smtp)

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(kept) for kept in self._idle.values())

    def close_all(self) -> None:
        """QUIT and close every idle connection (in use ones close when their message ends)."""
        with self._lock:
            idle = [smtp for kept in self._idle.values() for smtp, _ in kept]
            self._idle.clear()
        for smtp in idle:
            _close(smtp, polite=True)

    def close_idle(self, now: float | None = None) -> int:
        """Close the connections idle longer than `idle_seconds`; how many."""
        now = time.monotonic() if now is None else now
        stale: list[smtplib.SMTP] = []
        with self._lock:
            for config, kept in list(self._idle.items()):
                fresh = [(s, t) for s, t in kept if now - t < self.idle_seconds]
                stale += [s for s, t in kept if now - t >= self.idle_seconds]
                if fresh:
                    self._idle[config] = fresh
                else:
                    del self._idle[config]
        for smtp in stale:
            _close(smtp, polite=True)
        return len(stale)

    def _take(self, config: SmtpConfig) -> smtplib.SMTP | None:
        """The most recently used connection to this server not idle too long, or None."""
        self._forget_after_fork()
        while True:
            with self._lock:
                kept = self._idle.get(config)
                if not kept:
                    return None
                smtp, since = kept.pop()
            if time.monotonic() - since < self.idle_seconds:
                return smtp
            _close(smtp, polite=True)

    def _put(self, config: SmtpConfig, smtp: smtplib.SMTP) -> None:
        surplus = None
        with self._lock:
            kept = self._idle.setdefault(config, [])
            kept.append((smtp, time.monotonic()))
            if len(kept) > self.max_idle:
                surplus, _ = kept.pop(0)
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(
                    target=self._reap, name="kizuna-smtp-reaper", daemon=True
                )
                self._reaper.start()
        if surplus is not None:
            _close(surplus, polite=True)

    def _reap(self) -> None:
        while True:
            time.sleep(max(self.idle_seconds / 2, 0.05))
            self.close_idle()
            with self._lock:
                if not self._idle:
                    self._reaper = None
                    return

    def _forget_after_fork(self) -> None:
        if os.getpid() != self._pid:
            with self._lock:
                self._idle.clear()  # the parent's sockets: neither used nor closed here
                self._reaper = None
                self._pid = os.getpid()


def _close(smtp: smtplib.SMTP, *, polite: bool) -> None:
    if polite:
        with contextlib.suppress(Exception):
            smtp.quit()
    with contextlib.suppress(Exception):
        smtp.close()


_POOL = SmtpPool()
atexit.register(_POOL.close_all)


def smtp_pool() -> SmtpPool:
    """This process's pool."""
    return _POOL


def deliver_pooled(
    config: SmtpConfig,
    message: bytes,
    *,
    sender: str,
    recipient: str,
    handing: Callable[[], None] | None = None,
) -> None:
    """Send `message` on one of this process's kept connections; see `SmtpPool.deliver`."""
    _POOL.deliver(config, message, sender=sender, recipient=recipient, handing=handing)


def close_smtp_connections() -> None:
    """Close this process's idle SMTP connections now."""
    _POOL.close_all()
