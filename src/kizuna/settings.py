"""Settings, declared once.

Every field has a default, a description and a group (general, database, engines, web,
security, imports, jobs, mail); the README's settings table is generated from this class
(`kizuna settings --markdown`, one section per group) and a test fails when the two differ.
Environment variables stay flat (`KIZUNA_<NAME>`); `settings.group("mail")` gives a group's
values together. Nothing here reads the environment at import time: `Settings()` does.

One secret, many keys: `signing_key(purpose)` derives a separate key for each use (signed
links, the login throttle, unsubscribe links, ...) with HMAC-SHA256, so a key leaked for one
purpose says nothing about the others. (Sessions need none: the server keeps them and the
cookie holds a random token.)
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["GROUPS", "PLACEHOLDER_SECRET", "SIGNING_PURPOSES", "Settings"]

PLACEHOLDER_SECRET = "dev-insecure-secret-change-me"
GROUPS = ("general", "database", "engines", "web", "security", "imports", "jobs", "mail")
SigningPurpose = Literal["session", "csrf", "links", "throttle", "unsubscribe", "invitations"]
SIGNING_PURPOSES: tuple[SigningPurpose, ...] = (
    "session",
    "csrf",
    "links",
    "throttle",
    "unsubscribe",
    "invitations",
)


def _in(group: str) -> dict[str, Any]:
    return {"group": group}


class Settings(BaseSettings):
    """Kizuna's configuration; each field is read from `KIZUNA_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KIZUNA_", extra="ignore")

    # general
    env: Literal["development", "test", "production"] = Field(
        "development",
        description="development, test or production; outside development the placeholder "
        "secret is refused.",
        json_schema_extra=_in("general"),
    )
    timezone: str = Field(
        "Asia/Tokyo",
        description="Default time zone of new workspaces (IANA name).",
        json_schema_extra=_in("general"),
    )
    language: Literal["ja", "en"] = Field(
        "ja",
        description="Default language of pages, e-mails and messages: ja or en.",
        json_schema_extra=_in("general"),
    )
    demo_seed: int = Field(
        7, description="Random seed of the demo workspace.", json_schema_extra=_in("general")
    )
    # database
    database_url: str = Field(
        "sqlite:///var/kizuna.db",
        description="SQLAlchemy URL of the operational database: a SQLite file (WAL mode) "
        "or postgresql+psycopg://user@host/db.",
        json_schema_extra=_in("database"),
    )
    # engines
    spark_master: str = Field(
        "local[*]",
        description="Where `--engine spark` runs: local[*] (every core of this machine) or a "
        "cluster's master, e.g. spark://spark-master:7077 (the export must sit on storage the "
        "cluster reads). Needs `pip install 'kizuna[spark]'` and Java 17.",
        json_schema_extra=_in("engines"),
    )
    text_tier: Literal["fast", "accurate"] = Field(
        "fast",
        description="How the worker reads voices: fast (the rule engine alone) or accurate "
        "(the rule engine plus a small learned model shipped in the package: slower, figures "
        "in bench/results/text.md). A workspace's own adopted model, when there is one, comes "
        "first.",
        json_schema_extra=_in("engines"),
    )
    text_accurate_model: str = Field(
        "",
        description="Path of a local model for the accurate tier (an .npz trained like the "
        "shipped one, by bench/text_accurate.py). Empty: the model shipped in the package. "
        "Nothing is ever downloaded.",
        json_schema_extra=_in("engines"),
    )
    # web
    host: str = Field(
        "127.0.0.1",
        description="Address the web server listens on.",
        json_schema_extra=_in("web"),
    )
    port: int = Field(
        8000, description="Port the web server listens on.", json_schema_extra=_in("web")
    )
    base_url: str = Field(
        "",
        description="Public address of Kizuna, used in links sent by e-mail (invitations, "
        "unsubscribe), e.g. https://cx.example.co.jp. Empty: http://HOST:PORT.",
        json_schema_extra=_in("web"),
    )
    trusted_proxies: str = Field(
        "",
        description="Addresses of reverse proxies whose X-Forwarded-For header is believed "
        "(comma-separated, e.g. 127.0.0.1 behind nginx on the same host). Empty: none; the "
        "address a request comes from is the client's, for login throttling and logs.",
        json_schema_extra=_in("web"),
    )
    max_request_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body accepted (bytes); a larger one is refused with 413 "
        "before it is read.",
        json_schema_extra=_in("web"),
    )
    max_batch_request_bytes: int = Field(
        33_554_432,
        ge=1024,
        description="Largest body of a batch call (`/api/v1/.../batch`, up to 5,000 records), "
        "in bytes.",
        json_schema_extra=_in("web"),
    )
    session_days: int = Field(
        14,
        ge=1,
        description="Days a login lasts without activity before the user logs in again.",
        json_schema_extra=_in("web"),
    )
    # security
    secret_key: str = Field(
        PLACEHOLDER_SECRET,
        description="The one secret: keys for signed links, unsubscribe links and the login "
        "throttle are derived from it, one per purpose. Set a long random value outside "
        "development.",
        json_schema_extra=_in("security"),
    )
    invitation_days: int = Field(
        7,
        ge=1,
        description="Days an invitation link to a workspace stays valid.",
        json_schema_extra=_in("security"),
    )
    api_key_days: int = Field(
        365,
        ge=0,
        description="Days a new API key is valid unless its creator says otherwise (0: keys "
        "do not expire).",
        json_schema_extra=_in("security"),
    )
    # imports
    import_batch_size: int = Field(
        5000,
        ge=1,
        description="Rows per transaction when importing files or API batches.",
        json_schema_extra=_in("imports"),
    )
    import_by_columns: bool = Field(
        True,
        description="Read CSV and TSV files (UTF-8 or Shift_JIS) a block of columns at a time "
        "with pyarrow. Turn off to read them row by row with Python's csv module: the same "
        "rows, for two to three times the CPU.",
        json_schema_extra=_in("imports"),
    )
    # jobs
    embedded_worker: bool = Field(
        True,
        description="Run the job worker inside the web process (embedded mode). Turn off when "
        "separate `kizuna worker` processes run.",
        json_schema_extra=_in("jobs"),
    )
    worker_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often an idle worker looks for new jobs (on PostgreSQL workers are "
        "also woken by LISTEN/NOTIFY as soon as a job is queued).",
        json_schema_extra=_in("jobs"),
    )
    job_max_attempts: int = Field(
        5,
        ge=1,
        description="Attempts before a failing job is marked dead.",
        json_schema_extra=_in("jobs"),
    )
    job_lease_seconds: float = Field(
        45.0,
        ge=3,
        description="How long a running job's worker may go silent. A worker renews the lease "
        "of the job it runs every third of this; a job whose lease lapses (its worker died) "
        "is queued again, so work recovers within about this long.",
        json_schema_extra=_in("jobs"),
    )
    run_schedules: bool = Field(
        True,
        description="Workers enqueue recurring jobs (nightly scoring, reminders, SLA checks) "
        "when they fall due. Turn off to run them only by hand.",
        json_schema_extra=_in("jobs"),
    )
    # mail
    smtp_host: str = Field(
        "",
        description="SMTP server that sends Kizuna's e-mail. Empty: e-mail waits in the outbox "
        "until a server is set.",
        json_schema_extra=_in("mail"),
    )
    smtp_port: int = Field(
        587, description="Port of the SMTP server.", json_schema_extra=_in("mail")
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (port 587), tls (implicit TLS, port 465) or none (a relay on a "
        "trusted network only).",
        json_schema_extra=_in("mail"),
    )
    smtp_user: str = Field(
        "", description="SMTP login name; empty: no login.", json_schema_extra=_in("mail")
    )
    smtp_password: str = Field(
        "",
        description="SMTP password, read from the environment only; never shown or logged.",
        json_schema_extra=_in("mail"),
    )
    smtp_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds to wait for the SMTP server before a send is retried later.",
        json_schema_extra=_in("mail"),
    )
    mail_from: str = Field(
        "Kizuna <no-reply@kizuna.invalid>",
        description="From address of Kizuna's e-mail.",
        json_schema_extra=_in("mail"),
    )
    mail_max_attempts: int = Field(
        8,
        ge=1,
        description="Attempts to send one e-mail (with growing waits) before it goes to the "
        "dead letters.",
        json_schema_extra=_in("mail"),
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env != "development" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                f"KIZUNA_SECRET_KEY is the development placeholder, refused when KIZUNA_ENV is "
                f"{self.env}; set a long random value (for example "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_url(self) -> str:
        """The address links in e-mails start with, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def signing_key(self, purpose: SigningPurpose) -> bytes:
        """A key for one purpose, derived from the secret (HMAC-SHA256 as a KDF, RFC 2104)."""
        if purpose not in SIGNING_PURPOSES:
            raise ValueError(f"unknown signing purpose {purpose!r}")
        message = f"kizuna/{purpose}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).digest()

    def group(self, name: str) -> dict[str, Any]:
        """The values of one group, by field name (the SMTP password left out)."""
        return {
            field: getattr(self, field) for field in fields_of(name) if field != "smtp_password"
        }


def group_of(field: str) -> str:
    extra = Settings.model_fields[field].json_schema_extra
    return str(extra["group"]) if isinstance(extra, dict) else "general"


def fields_of(group: str) -> list[str]:
    return [name for name in Settings.model_fields if group_of(name) == group]
