"""Settings, declared once.

Every field has a default and a description; the README's settings table is generated
from this class (`kizuna settings --markdown`) and a test fails when the two differ.
Nothing here reads the environment at import time: `Settings()` does, when called.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PLACEHOLDER_SECRET", "Settings"]

PLACEHOLDER_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    """Kizuna's configuration; each field is read from `KIZUNA_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KIZUNA_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development",
        description="development, test or production; production refuses placeholder secrets.",
    )
    database_url: str = Field(
        "sqlite:///var/kizuna.db",
        description="SQLAlchemy URL of the operational database: a SQLite file (WAL mode) "
        "or postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET,
        description="Signs session cookies, CSRF tokens and survey links. Set a long random "
        "value outside development.",
    )
    timezone: str = Field(
        "Asia/Tokyo", description="Default time zone of new workspaces (IANA name)."
    )
    language: Literal["ja", "en"] = Field(
        "ja", description="Default language of pages and messages: ja or en."
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, description="Port the web server listens on.")
    import_batch_size: int = Field(
        5000, ge=1, description="Rows per transaction when importing files or API batches."
    )
    import_by_columns: bool = Field(
        True,
        description="Read CSV and TSV files (UTF-8 or Shift_JIS) a block of columns at a time "
        "with pyarrow. Turn off to read them row by row with Python's csv module: the same "
        "rows, for two to three times the CPU.",
    )
    embedded_worker: bool = Field(
        True,
        description="Run the job worker inside the web process (embedded mode). Turn off when "
        "separate `kizuna worker` processes run.",
    )
    worker_poll_seconds: float = Field(
        1.0, gt=0, description="How often an idle worker looks for new jobs."
    )
    job_max_attempts: int = Field(
        5, ge=1, description="Attempts before a failing job is marked dead."
    )
    demo_seed: int = Field(7, description="Random seed of the demo workspace.")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "KIZUNA_SECRET_KEY is the development placeholder; set a long random value "
                "(for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
