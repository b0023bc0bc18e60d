"""The mail room's errors, children of `kizuna.errors` so the web and the CLI show them as usual.

    KizunaError
    ├── InvalidInput
    │   ├── InvalidAddress            invalid_address            422
    │   ├── MailTemplateNotFound      mail_template_not_found    422
    │   └── InvalidUnsubscribeLink    invalid_unsubscribe_link   400
    ├── NotFound
    │   └── MailMessageNotFound       mail_message_not_found     404
    ├── Conflict
    │   └── MailNotRetryable          mail_not_retryable         409
    └── MailDeliveryFailed            mail_delivery_failed       502
        ├── MailNotConfigured         mail_not_configured        503  (KIZUNA_SMTP_HOST empty)
        ├── MailServerUnavailable     mail_server_unavailable    503  (temporary: retried)
        └── MailRejected              mail_rejected              502  (permanent: dead letter)

A delivery failure carries `summary`, one short English line (no password, no body) that is
stored as the message's `last_error`; its messages say what to check.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kizuna.errors import Conflict, InvalidInput, KizunaError, NotFound

__all__ = [
    "InvalidAddress",
    "InvalidUnsubscribeLink",
    "MailDeliveryFailed",
    "MailMessageNotFound",
    "MailNotConfigured",
    "MailNotRetryable",
    "MailRejected",
    "MailServerUnavailable",
    "MailTemplateNotFound",
]


class InvalidAddress(InvalidInput):
    code = "invalid_address"

    def __init__(self, address: str, why_en: str, why_ja: str) -> None:
        super().__init__(
            f"'{address}' is not an e-mail address Kizuna can send to: {why_en}. "
            "Correct the address and send again.",
            f"「{address}」は送信できるメールアドレスではありません({why_ja})。"
            "アドレスを直してから、もう一度送信してください。",
        )


class MailTemplateNotFound(InvalidInput):
    code = "mail_template_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The e-mail template '{name}' does not exist. Add it under a feature's "
            "templates/email/ folder (a .txt and an .html file for each language).",
            f"メールテンプレート「{name}」がありません。機能の templates/email/ フォルダに、"
            "言語ごとの .txt と .html を追加してください。",
            template=name,
        )


class InvalidUnsubscribeLink(InvalidInput):
    code = "invalid_unsubscribe_link"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "This unsubscribe link is incomplete or was changed. Open the link from the e-mail "
            "again, or copy the whole address from it.",
            "この配信停止リンクは不完全か、変更されています。メールのリンクをもう一度開くか、"
            "アドレス全体をコピーしてください。",
        )


class MailMessageNotFound(NotFound):
    code = "mail_message_not_found"

    def __init__(self, message_id: int) -> None:
        super().__init__(
            f"There is no e-mail #{message_id} in the outbox. List it with `kizuna mail outbox`.",
            f"送信箱にメール #{message_id} はありません。`kizuna mail outbox` で確認してください。",
            message_id=message_id,
        )


class MailNotRetryable(Conflict):
    code = "mail_not_retryable"

    def __init__(self, message_id: int, state: str) -> None:
        super().__init__(
            f"E-mail #{message_id} is {state}; only dead or held e-mail (or one whose delivery "
            "job died) can be retried. See it with `kizuna mail outbox`.",
            f"メール #{message_id} の状態は {state} です。再送できるのは dead・held のメール"
            "(または配信ジョブが止まったメール)だけです。`kizuna mail outbox` で確認してください。",
            message_id=message_id,
            state=state,
        )


class MailDeliveryFailed(KizunaError):
    """Sending to the SMTP server failed; `permanent` says whether trying again can help."""

    code = "mail_delivery_failed"
    status = 502
    permanent: ClassVar[bool] = False

    def __init__(self, summary: str, message_en: str, message_ja: str, **details: Any) -> None:
        super().__init__(message_en, message_ja, **details)
        self.summary = summary


class MailNotConfigured(MailDeliveryFailed):
    code = "mail_not_configured"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "no SMTP server set (KIZUNA_SMTP_HOST is empty)",
            "No SMTP server is set, so e-mail waits in the outbox. Set KIZUNA_SMTP_HOST (and "
            "KIZUNA_SMTP_PORT, KIZUNA_SMTP_SECURITY, KIZUNA_SMTP_USER, KIZUNA_SMTP_PASSWORD), "
            "then check it with `kizuna mail test ADDRESS`.",
            "SMTP サーバーが設定されていないため、メールは送信箱で待機しています。"
            "KIZUNA_SMTP_HOST(と KIZUNA_SMTP_PORT・KIZUNA_SMTP_SECURITY・KIZUNA_SMTP_USER・"
            "KIZUNA_SMTP_PASSWORD)を設定し、`kizuna mail test アドレス` で確認してください。",
        )


class MailServerUnavailable(MailDeliveryFailed):
    """A failure that may pass: 4xx replies, refused or dropped connections, time-outs, TLS
    or login problems (the server's configuration, not the message, is at fault)."""

    code = "mail_server_unavailable"
    status = 503


class MailRejected(MailDeliveryFailed):
    """A 5xx refusal of the sender, the recipient or the message: sending again cannot help."""

    code = "mail_rejected"
    permanent = True
