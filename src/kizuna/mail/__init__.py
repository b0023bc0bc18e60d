"""Mail: SMTP delivery behind an outbox with retries and keyed sends, templates in ja and en.

    service.py      send_mail / send_mails (the way to send), the outbox, retry, held mail
    delivery.py     the `mail.deliver` job: send, retry with backoff, dead letters
    connections.py  SMTP connections kept open between messages, one pool per process
    transport.py    SMTP (starttls, tls, none) and what each failure means
    render.py       templates/email/<name>.<lang>.txt|html -> subject, text, HTML
    compose.py      the MIME bytes: multipart/alternative, RFC 2047 headers, Message-ID
    unsubscribe.py  signed unsubscribe links and the suppression list
    addresses.py    checking addresses; the digest suppression lists keep
    pages.py        /u/{token}: public unsubscribe pages (RFC 8058 one-click POST)
    cli.py          `kizuna mail test|outbox|retry`

This package's `__init__` imports nothing: `from kizuna.mail.service import send_mail`.
"""
