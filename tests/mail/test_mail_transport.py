"""The SMTP transport against real servers: STARTTLS, implicit TLS, login, and what each failure
tells the administrator to check (never the password)."""

from __future__ import annotations

import shutil
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from mail_support import SmtpInbox, SmtpServer, start_server

from kizuna import Kizuna
from kizuna.mail.errors import MailServerUnavailable
from kizuna.mail.service import send_test_mail
from kizuna.mail.transport import SmtpConfig, _quoted
from kizuna.settings import Settings

PASSWORD = "s3cret-パスワード"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"kizuna",
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """STARTTLS required, then login required (as on port 587)."""
    controller, server = start_server(
        SmtpInbox(),
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=check_login,
        auth_required=True,
    )
    try:
        yield server
    finally:
        controller.stop()


def settings_for(kz: Kizuna, port: int, **values: Any) -> Settings:
    return kz.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout_seconds": 5.0, **values}
    )


def test_starttls_and_login_deliver(
    kz: Kizuna, tls_server: SmtpServer, certificate, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    settings = settings_for(
        kz, tls_server.port, smtp_security="starttls", smtp_user="kizuna", smtp_password=PASSWORD
    )
    send_test_mail(settings, "hanako@example.jp", language="ja")
    [email] = tls_server.inbox.received
    assert email["Subject"] == "Kizuna テストメール（日本語）"


def test_a_wrong_password_names_the_settings_to_check_and_never_the_password(
    kz: Kizuna, tls_server: SmtpServer, certificate, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    settings = settings_for(
        kz, tls_server.port, smtp_security="starttls", smtp_user="kizuna", smtp_password="wrong-pw"
    )
    with pytest.raises(MailServerUnavailable) as failed:
        send_test_mail(settings, "hanako@example.jp")
    message = failed.value.message("en")
    assert "refused the login of 'kizuna' (535" in message
    assert "Check KIZUNA_SMTP_USER and KIZUNA_SMTP_PASSWORD." in message
    for shown in (message, failed.value.message("ja"), failed.value.summary, repr(failed.value)):
        assert "wrong-pw" not in shown
    assert "wrong-pw" not in repr(SmtpConfig.from_settings(settings))
    assert tls_server.inbox.received == []


def test_implicit_tls_delivers(kz: Kizuna, certificate, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    controller, server = start_server(SmtpInbox(), ssl_context=server_context(certificate))
    try:
        send_test_mail(settings_for(kz, server.port, smtp_security="tls"), "taro@example.jp")
    finally:
        controller.stop()
    assert len(server.inbox.received) == 1


def test_an_untrusted_certificate_is_refused_with_what_to_check(
    kz: Kizuna, tls_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    empty_store = tmp_path / "none.pem"
    empty_store.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty_store))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(MailServerUnavailable) as failed:
        send_test_mail(settings_for(kz, tls_server.port, smtp_security="starttls"), "a@example.jp")
    message = failed.value.message("en")
    assert f"TLS with 127.0.0.1:{tls_server.port} failed" in message
    assert "certificate is valid for 127.0.0.1" in message


def test_starttls_against_a_server_without_it_says_which_security_to_choose(
    kz: Kizuna, smtp_server: SmtpServer
) -> None:
    with pytest.raises(MailServerUnavailable) as failed:
        send_test_mail(settings_for(kz, smtp_server.port, smtp_security="starttls"), "a@example.jp")
    assert "does not offer STARTTLS. Set KIZUNA_SMTP_SECURITY=tls" in failed.value.message("en")


def test_a_server_that_never_answers_times_out(kz: Kizuna) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never says a word
        port = silent.getsockname()[1]
        settings = settings_for(kz, port, smtp_security="none", smtp_timeout_seconds=0.3)
        with pytest.raises(MailServerUnavailable) as failed:
            send_test_mail(settings, "a@example.jp")
    assert f"127.0.0.1:{port} did not answer within 0.3 s" in failed.value.message("en")
    assert failed.value.summary == f"no answer from 127.0.0.1:{port} within 0.3 s"


def test_envelope_addresses_are_written_as_smtplib_writes_them() -> None:
    for address in (
        "guest000001@example.jp",
        "Kizuna <no-reply@kizuna.example>",
        "",
        "<>",
        "a b@example.jp",
        "山田@example.jp",
        '"quoted name"@example.jp',
    ):
        assert _quoted(address) == smtplib.quoteaddr(address), address
