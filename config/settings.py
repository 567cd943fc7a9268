"""rongju settings: one pydantic-settings class, environment prefix RONGJU_.

Every default works on a fresh machine: data under ./var, SQLite case DB, local folders.
Point RONGJU_DATABASE_URL at PostgreSQL (postgresql+psycopg://...) for scale; nothing else changes.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration, read from RONGJU_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="RONGJU_", extra="ignore")

    data_dir: Path = Path("var")
    # Derived from data_dir when not given explicitly.
    database_url: str = ""
    document_dir: Path | None = None
    shared_data_dir: Path | None = None
    # The card centre's spool folder (one PDF per card + batch manifests) and its inbox for returned
    # production manifests; the EMS mailing folder (labels + daily manifests); the SMS outbox of the
    # default file sender.
    print_spool: Path | None = None
    print_inbox: Path | None = None
    mail_dir: Path | None = None
    sms_outbox: Path | None = None
    # When set, every rule uses this date as "today" (tests and batch checks need a fixed clock).
    today: date | None = None
    # Test hook (services/faults.py): the step boundary at which a process kills itself. Never set
    # in production.
    fault_kill_at: str | None = None
    # Largest accepted upload, per file, and per package.
    max_file_bytes: int = 20 * 1024 * 1024
    max_package_bytes: int = 80 * 1024 * 1024
    # A demo (`make demo`, `rongju demo`): reviewers' one-time codes use the public demo secrets of
    # config/city/reviewers.yaml. Off, every process that checks codes refuses those secrets.
    demo: bool = False
    # Outside demo mode: the reviewers' TOTP secrets, a YAML/JSON mapping reviewer id -> base32
    # secret, mode 0600, outside the repository (`rongju reviewers enrol` writes it). The
    # environment's RONGJU_REVIEWER_SECRET_<ID> (id upper-cased, "-" as "_") wins over the file.
    reviewer_secrets: Path | None = None
    # Guessing lockout: this many wrong codes within the window lock the reviewer (and a case that
    # many attempts were made on) for lockout_minutes.
    review_lockout_failures: int = Field(default=5, gt=0)
    review_lockout_window_minutes: int = Field(default=15, gt=0)
    review_lockout_minutes: int = Field(default=15, gt=0)
    # How long a reviewer's sign-in to the document pages (/review/{case_id}) lasts; checked on the
    # server against the session row, the cookie's Max-Age only mirrors it.
    review_session_hours: int = Field(default=8, gt=0, le=24)

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
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
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; call get_settings.cache_clear() after changing the environment."""
    return Settings()


def today() -> date:
    """The one clock every rule reads: RONGJU_TODAY when set, else the calendar date."""
    fixed = get_settings().today
    return fixed if fixed is not None else date.today()
