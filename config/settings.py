"""rongju settings: one pydantic-settings class, environment prefix RONGJU_.

Every `RONGJU_*` variable the code reads is a field here (the environment name is RONGJU_ + the field
name upper-cased) and a row of the README's Settings table; tests/unit/test_settings.py fails when
one is missing. Two families are not settings: a reviewer's secret in RONGJU_REVIEWER_SECRET_<ID>
(one variable per reviewer, read by services/reviewers.py) and the test hooks (RONGJU_FAULT_KILL_AT,
read by services/faults.py; RONGJU_TEST_*, read by the test suite), which production never sets.

The fields are flat, grouped by comments, not nested models: pydantic-settings reads a nested group
from RONGJU_<GROUP>__<FIELD>, which would rename the existing variables (the lockout's minutes would
move from RONGJU_REVIEW_LOCKOUT_MINUTES to a double-underscore name) and every attribute the code
reads (`settings.review.lockout_minutes`); a single "_" as the delimiter cannot tell the group from
the field (RONGJU_DATA_DIR). Flat, a field's name is its variable's name, which is what the test of
this module checks.

Every default works on a fresh machine: data under ./var, SQLite case DB, local folders.
Point RONGJU_DATABASE_URL at PostgreSQL (postgresql+psycopg://...) for scale; nothing else changes.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "RONGJU_"
MIN_LINK_SECRET_CHARS = 32


class Settings(BaseSettings):
    """Runtime configuration, read from RONGJU_* environment variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # --- Storage: the data folder and what lives in it (derived from data_dir when not given).
    data_dir: Path = Path("var")
    database_url: str = ""
    document_dir: Path | None = None
    shared_data_dir: Path | None = None

    # --- Outside services as folders: the card centre's spool (one PDF per card + batch manifests)
    # and its inbox for returned production manifests; the EMS mailing folder (labels + daily
    # manifests); the SMS outbox of the default file sender.
    print_spool: Path | None = None
    print_inbox: Path | None = None
    mail_dir: Path | None = None
    sms_outbox: Path | None = None

    # --- Clock: when set, every rule uses this date as "today" (tests and batch checks need it).
    today: date | None = None

    # --- Intake: largest accepted upload, per file, and per package.
    max_file_bytes: int = 20 * 1024 * 1024
    max_package_bytes: int = 80 * 1024 * 1024

    # --- Reviewers.
    # A demo (`make demo`, `rongju demo`): reviewers' one-time codes use the public demo secrets of
    # config/city/reviewers.yaml. Off, every process that checks codes refuses those secrets.
    demo: bool = False
    # Outside demo mode: the reviewers' TOTP secrets, a YAML/JSON mapping reviewer id -> base32
    # secret, mode 0600, outside the repository (`rongju reviewers enrol` writes it). The
    # environment's RONGJU_REVIEWER_SECRET_<ID> (id upper-cased, "-" as "_") wins over the file.
    reviewer_secrets: Path | None = None
    # Guessing lockout: this many wrong codes within the window lock the reviewer (and a case that
    # many attempts were made on) for review_lockout_minutes.
    review_lockout_failures: int = Field(default=5, gt=0)
    review_lockout_window_minutes: int = Field(default=15, gt=0)
    review_lockout_minutes: int = Field(default=15, gt=0)
    # How long a reviewer's sign-in to the document pages (/review/{case_id}) lasts; checked on the
    # server against the session row, the cookie's Max-Age only mirrors it.
    review_session_hours: int = Field(default=8, gt=0, le=24)

    # --- API (review pages): where reviewers' browsers reach it (the link in the review form), the
    # port `rongju up` serves it on, and the secret that signs its session cookies (the same on
    # every API host; unset, one is generated once under data_dir/secrets).
    api_url: str = "http://127.0.0.1:8765"
    api_port: int = Field(default=8765, gt=0, lt=65536)
    link_secret: SecretStr | None = None

    # --- Local stack (`rongju up`, `rongju worker`): flow runs one worker runs at once (each is a
    # process, light: the reading happens in the document readers); unset, twice the cores, at
    # least 2.
    worker_limit: int | None = Field(default=None, gt=0)
    # Document readers per host: long-lived processes that keep the OCR models loaded and read and
    # check cases (tasks/reader.py); one per core is the measured best (README, Document readers).
    readers: int | None = Field(default=None, gt=0)
    # How long one case's reading may run before the waiting flow presumes its reader dead, marks
    # the reading crashed and fails (Prefect does not hand it to another reader); replayable.
    reader_timeout_seconds: int = Field(default=600, gt=0)
    # The Prefect server's own database, when `rongju up` starts the server: unset, SQLite under
    # data_dir/prefect-home (the embedded default); a PostgreSQL URL for production
    # (`postgresql://user:password@host/prefect`; the server talks to it through asyncpg).
    prefect_database_url: SecretStr | None = None
    # How long the Prefect server keeps finished flow runs (with their logs and artifacts) and
    # events: its database vacuum service deletes older ones, so the Prefect DB does not grow
    # without bound. The case DB keeps every case's own history regardless.
    prefect_retention_days: int = Field(default=30, gt=0)

    @field_validator("prefect_database_url")
    @classmethod
    def _postgresql(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        scheme, sep, rest = value.get_secret_value().partition("://")
        if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise ValueError("RONGJU_PREFECT_DATABASE_URL must be a postgresql:// URL (unset: SQLite)")
        # The Prefect server's engine is async: the asyncpg driver whatever the URL named.
        return SecretStr(f"postgresql+asyncpg://{rest}")

    @field_validator("link_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_LINK_SECRET_CHARS:
            raise ValueError(f"RONGJU_LINK_SECRET must be at least {MIN_LINK_SECRET_CHARS} characters")
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'rongju.db'}"
        if self.document_dir is None:
            self.document_dir = self.data_dir / "documents"
        if self.shared_data_dir is None:
            self.shared_data_dir = self.data_dir / "shared-data"
        if self.print_spool is None:
            self.print_spool = self.data_dir / "print-spool"
        if self.print_inbox is None:
            self.print_inbox = self.data_dir / "print-inbox"
        if self.mail_dir is None:
            self.mail_dir = self.data_dir / "mail"
        if self.sms_outbox is None:
            self.sms_outbox = self.data_dir / "sms-outbox"
        if self.worker_limit is None:
            self.worker_limit = max(2, (os.cpu_count() or 1) * 2)
        if self.readers is None:
            self.readers = os.cpu_count() or 1
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def env_names() -> set[str]:
    """Every environment variable Settings reads: RONGJU_ + each field name, upper-cased."""
    return {ENV_PREFIX + name.upper() for name in Settings.model_fields}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; call get_settings.cache_clear() after changing the environment."""
    return Settings()


def today() -> date:
    """The one clock every rule reads: RONGJU_TODAY when set, else the calendar date."""
    fixed = get_settings().today
    return fixed if fixed is not None else date.today()
