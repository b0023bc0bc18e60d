"""Handing one e-mail to the SMTP server (stdlib smtplib), and saying what went wrong.

Security is `starttls` (port 587: plain connection upgraded before login), `tls` (port 465:
TLS from the first byte) or `none` (a relay on a trusted network). Certificates are checked
against the system's CAs (`ssl.create_default_context`, which honours SSL_CERT_FILE).

Every failure becomes one of two errors (`kizuna.mail.errors`):
- `MailServerUnavailable`, temporary, retried: 4xx replies, connections refused, reset or
  dropped, time-outs, unknown host, TLS and login failures. A login or TLS failure is the
  server's configuration, not the message's fault; the message waits (and retries) while
  someone fixes KIZUNA_SMTP_*, instead of being thrown away.
- `MailRejected`, permanent: a 5xx refusal of the sender, the recipient or the message.

The message counts as sent once the server has answered the end of DATA with 2xx; a failure
after that (QUIT, closing) is ignored, since sending again would duplicate it. DATA is
written here rather than by smtplib's `data` so that a caller can record, through
`handing`, that everything but the closing "." has gone: the one step left is five bytes
(see `kizuna.mail.delivery` on why). Nothing here logs or stores the password or a body;
`SmtpConfig`'s repr leaves the password out.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kizuna.mail.errors import (
    MailDeliveryFailed,
    MailNotConfigured,
    MailRejected,
    MailServerUnavailable,
)
from kizuna.settings import Settings

__all__ = ["SmtpConfig", "StaleConnection", "deliver_email", "open_connection", "send_on"]

_SERVER_TEXT_MAX = 160
_LEADING_DOT = re.compile(rb"(?m)^\.")  # a line starting with "." is sent as ".." (RFC 5321)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server (from the KIZUNA_SMTP_* settings)."""

    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def deliver_email(config: SmtpConfig, message: bytes, *, sender: str, recipient: str) -> None:
    """Send `message` to `recipient` (envelope from `sender`) on a connection of its own, closed
    afterwards; raises a MailDeliveryFailed. Deliveries use `kizuna.mail.connections`' kept
    connections instead; this is the check behind `kizuna mail test`."""
    smtp = open_connection(config)
    try:
        send_on(smtp, config, message, sender=sender, recipient=recipient)
        # Accepted: from here on nothing may make the caller send it again.
        with contextlib.suppress(Exception):
            smtp.quit()
    finally:
        smtp.close()


def open_connection(config: SmtpConfig) -> smtplib.SMTP:
    """A connection greeted, secured and logged in as the settings say; MailDeliveryFailed else."""
    if not config.host:
        raise MailNotConfigured()
    try:
        smtp = _connect(config)
    except Exception as exc:
        raise _classify(exc, config, "", stage="connect") from None
    # The closing "." of DATA goes as a write of its own once the rest is recorded handed
    # over: Nagle's algorithm would hold it until the server acknowledged the body (a
    # delayed ACK, 40 ms on Linux) and a delivery took 8 times as long.
    if smtp.sock is not None:
        with contextlib.suppress(OSError):
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if config.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            _login(smtp, config.user, config.password)
        smtp.ehlo_or_helo_if_needed()  # the server's greeting to us, before any message
    except Exception as exc:
        smtp.close()
        raise _classify(exc, config, "", stage="login") from None
    return smtp


class StaleConnection(Exception):
    """A kept connection turned out closed at the first command of a message (MAIL FROM):
    nothing of the message reached the server, so it may go again on a new connection."""


def send_on(
    smtp: smtplib.SMTP,
    config: SmtpConfig,
    message: bytes,
    *,
    sender: str,
    recipient: str,
    reused: bool = False,
    handing: Callable[[], None] | None = None,
) -> None:
    """One transaction (MAIL, RCPT, DATA) on an open connection; MailDeliveryFailed if refused.

    Returns once the server answered the end of DATA with 2xx: the message is then sent.
    `message` is 7-bit with CRLF lines (`kizuna.mail.compose`), dot-stuffed here. `handing`,
    when given, is called once the server has taken everything but the closing "." (an
    exception from it abandons the message: the server drops a DATA left open). On a
    `reused` connection, a connection found closed (or a 421 "closing") at MAIL FROM raises
    StaleConnection instead: the caller opens another and sends there.
    """
    try:
        code, reply = smtp.docmd("mail", "from:" + _quoted(sender))
    except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError) as exc:
        if reused:
            raise StaleConnection() from None
        raise _classify(exc, config, sender, stage="send") from None
    except Exception as exc:
        raise _classify(exc, config, sender, stage="send") from None
    if code == 421 and reused:
        raise StaleConnection()
    try:
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.docmd("rcpt", "to:" + _quoted(recipient))
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = _data(smtp, message, handing)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    except _HandingFailed as exc:
        raise exc.error from None  # the caller's own error, not the server's
    except Exception as exc:
        raise _classify(exc, config, sender, stage="send") from None


class _HandingFailed(Exception):
    """`handing` raised `error`: not a fault of the server."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _data(
    smtp: smtplib.SMTP, message: bytes, handing: Callable[[], None] | None
) -> tuple[int, bytes]:
    """DATA as smtplib's `data` sends it, with `handing` called before the closing ".";
    the server's reply to that "."."""
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = _LEADING_DOT.sub(b"..", message)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    if handing is None:
        smtp.send(body + b".\r\n")
    else:
        smtp.send(body)
        try:
            handing()
        except Exception as exc:
            raise _HandingFailed(exc) from exc
        smtp.send(b".\r\n")
    return smtp.getreply()


def _quoted(address: str) -> str:
    """`<address>` as smtplib's `mail` and `rcpt` write it; a bare address (what the outbox
    stores) without parsing it again for every message."""
    if address and address.isascii() and not any(c in address for c in ' <>()",;:\\[]'):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "tls":
        return smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    if (user + password).isascii():
        smtp.login(user, password)
        return
    # smtplib sends credentials as ASCII only; SASL PLAIN is UTF-8 (RFC 4616), so a Japanese
    # password goes through PLAIN, sent here.
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("non-ASCII login needs AUTH PLAIN")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _server_text(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:_SERVER_TEXT_MAX]


def _classify(exc: Exception, config: SmtpConfig, sender: str, *, stage: str) -> MailDeliveryFailed:
    """The temporary or permanent error, with what to check, that `exc` amounts to."""
    where = config.where
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (550, b""))
        reply = " ".join(
            (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)).split()
        )[:_SERVER_TEXT_MAX]
        return _by_code(
            code,
            f"recipient refused: {code} {reply}",
            f"{where} refused the recipient ({code} {reply}). Check the address.",
            f"{where} が宛先を拒否しました({code} {reply})。アドレスを確認してください。",
            stage=stage,
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailServerUnavailable(
            f"login refused: {exc.smtp_code} {_server_text(exc)}",
            f"{where} refused the login of '{config.user}' ({exc.smtp_code} {_server_text(exc)}). "
            "Check KIZUNA_SMTP_USER and KIZUNA_SMTP_PASSWORD.",
            f"{where} がユーザー「{config.user}」のログインを拒否しました({exc.smtp_code})。"
            "KIZUNA_SMTP_USER と KIZUNA_SMTP_PASSWORD を確認してください。",
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(
            exc.smtp_code,
            f"sender refused: {exc.smtp_code} {_server_text(exc)}",
            f"{where} refused the sender {sender} ({exc.smtp_code} {_server_text(exc)}). Check "
            "that KIZUNA_MAIL_FROM is an address this server lets you send from.",
            f"{where} が送信元 {sender} を拒否しました({exc.smtp_code})。KIZUNA_MAIL_FROM が"
            "このサーバーから送信できるアドレスか確認してください。",
            stage=stage,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(
            exc.smtp_code,
            f"{stage}: {exc.smtp_code} {_server_text(exc)}",
            f"{where} answered {exc.smtp_code} {_server_text(exc)}.",
            f"{where} の応答: {exc.smtp_code} {_server_text(exc)}。",
            stage=stage,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if stage == "login" and config.security == "starttls" and "STARTTLS" in str(exc):
            return MailServerUnavailable(
                "server offers no STARTTLS",
                f"{where} does not offer STARTTLS. Set KIZUNA_SMTP_SECURITY=tls if it expects TLS "
                "from the start (usually port 465), or none for a relay on a trusted network.",
                f"{where} は STARTTLS に対応していません。最初から TLS の場合(通常ポート 465)は "
                "KIZUNA_SMTP_SECURITY=tls、信頼できるネットワーク内の中継サーバーなら none にしてください。",
            )
        if "AUTH PLAIN" in str(exc):
            return MailServerUnavailable(
                "server offers no AUTH PLAIN for a non-ASCII login",
                f"{where} does not offer AUTH PLAIN, the only way to log in with a user name or "
                "password that is not ASCII. Use an ASCII KIZUNA_SMTP_USER and KIZUNA_SMTP_PASSWORD.",
                f"{where} は AUTH PLAIN に対応していないため、ASCII 以外の文字を含むユーザー名や"
                "パスワードではログインできません。KIZUNA_SMTP_USER と KIZUNA_SMTP_PASSWORD を"
                "半角英数字と記号にしてください。",
            )
        return MailServerUnavailable(
            "server offers no login",
            f"{where} offers no login (AUTH). Leave KIZUNA_SMTP_USER empty, or use "
            "KIZUNA_SMTP_SECURITY=starttls or tls: many servers only offer login over TLS.",
            f"{where} はログイン(AUTH)に対応していません。KIZUNA_SMTP_USER を空にするか、"
            "KIZUNA_SMTP_SECURITY を starttls か tls にしてください(TLS 上でのみログインできる"
            "サーバーが多くあります)。",
        )
    if isinstance(exc, ssl.SSLError):
        return MailServerUnavailable(
            f"TLS failed: {type(exc).__name__}",
            f"TLS with {where} failed ({exc}). Check KIZUNA_SMTP_SECURITY (starttls for port 587, "
            f"tls for port 465) and that the server's certificate is valid for {config.host}.",
            f"{where} との TLS 接続に失敗しました。KIZUNA_SMTP_SECURITY(ポート 587 は starttls、"
            f"465 は tls)と、サーバー証明書が {config.host} に有効かを確認してください。",
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):
        exc = exc.__context__  # smtplib reports a read time-out as a disconnection
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | BrokenPipeError):
        return MailServerUnavailable(
            f"connection dropped ({stage})",
            f"{where} closed the connection before the e-mail was accepted; it will be tried "
            "again. If this keeps happening, check KIZUNA_SMTP_SECURITY and KIZUNA_SMTP_PORT.",
            f"メールが受け付けられる前に {where} が接続を切りました。再送します。繰り返す場合は "
            "KIZUNA_SMTP_SECURITY と KIZUNA_SMTP_PORT を確認してください。",
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailServerUnavailable(
            f"connection refused by {where}",
            f"Nothing accepted a connection at {where}. Check KIZUNA_SMTP_HOST and "
            "KIZUNA_SMTP_PORT, and that the mail server is running.",
            f"{where} に接続できませんでした(接続拒否)。KIZUNA_SMTP_HOST と KIZUNA_SMTP_PORT、"
            "メールサーバーが動いているかを確認してください。",
        )
    if isinstance(exc, TimeoutError):
        return MailServerUnavailable(
            f"no answer from {where} within {config.timeout:g} s",
            f"{where} did not answer within {config.timeout:g} s. Check the host and port, any "
            "firewall between, and KIZUNA_SMTP_TIMEOUT_SECONDS.",
            f"{where} が {config.timeout:g} 秒以内に応答しませんでした。ホストとポート、途中の"
            "ファイアウォール、KIZUNA_SMTP_TIMEOUT_SECONDS を確認してください。",
        )
    if isinstance(exc, socket.gaierror):
        return MailServerUnavailable(
            f"unknown host {config.host}",
            f"The host name '{config.host}' could not be resolved. Check KIZUNA_SMTP_HOST.",
            f"ホスト名「{config.host}」を解決できません。KIZUNA_SMTP_HOST を確認してください。",
        )
    return MailServerUnavailable(
        f"{type(exc).__name__} ({stage})",
        f"Talking to {where} failed ({type(exc).__name__}: {exc}). Check KIZUNA_SMTP_HOST, "
        "KIZUNA_SMTP_PORT and KIZUNA_SMTP_SECURITY.",
        f"{where} との通信に失敗しました({type(exc).__name__})。KIZUNA_SMTP_HOST・"
        "KIZUNA_SMTP_PORT・KIZUNA_SMTP_SECURITY を確認してください。",
    )


def _by_code(
    code: int, summary: str, message_en: str, message_ja: str, *, stage: str
) -> MailDeliveryFailed:
    """A 5xx reply to the sender, a recipient or the message is permanent (RFC 5321 4.2.1).

    Anything else may pass and is retried, a 5xx greeting or HELO reply included: that is the
    server (or its address) being wrong for every message, not this message being refused.
    """
    if 500 <= code < 600 and stage == "send":
        return MailRejected(summary, message_en, message_ja, smtp_code=code)
    return MailServerUnavailable(
        summary,
        message_en + " This is temporary; it will be tried again.",
        message_ja + "一時的なエラーのため、再送します。",
        smtp_code=code,
    )
