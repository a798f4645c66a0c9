"""Typed settings read from the environment; refuses a default secret in production."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_SECRET = "dev-only-insecure-secret"  # noqa: S105 - refused in production below
REPORT_LANGUAGES = ("en", "ko")  # the languages a report is written in (SPEC §12)
INSTANCE_DIR = Path(os.environ.get("K_SUSTAIN_INSTANCE", Path.cwd() / "instance"))


class ConfigError(RuntimeError):
    """The environment describes a configuration the service must not start with."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_url(url: str) -> str:
    """A database URL as SQLAlchemy takes it: `postgres://` and `postgresql://` (as operators
    and hosting platforms write them) name the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads; each field maps to an upper-case environment variable."""

    env: str = "development"
    secret_key: str = DEFAULT_SECRET
    session_cookie_secure: bool = False  # the web session cookie; always Secure in production
    session_lifetime_hours: int = 12
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'k-sustain.db'}"
    sqlite_busy_timeout_ms: int = 15000
    token_ttl_hours: int = 24 * 30  # an API token's lifetime unless its issuer asks for less or more
    token_max_ttl_hours: int = 24 * 365  # no API token lives longer
    token_last_use_minutes: int = 10  # a token's last use is written at most this often
    idempotency_ttl_hours: int = 24  # how long an Idempotency-Key's answer is kept for retries
    max_content_length: int = 1024 * 1024
    public_base_url: str = "http://127.0.0.1:5000"
    sql_echo: bool = False
    survey_reminder_days: int = 7  # remind an unanswered survey once after this many days
    survey_expiry_days: int = 30  # a survey link stops working after this many days
    action_due_days: int = 14  # a corrective action is due this many days after the answer
    bulletin_due_soon_days: int = 7  # liaisons are told once when bulletin compliance is this near
    default_action_owner_staff_id: int | None = None  # owner when the event has no lead
    report_marking: str = "UNCLASSIFIED"  # printed in every report page's header and footer
    # The monthly job runs at 02:00 on the 1st, here. Periods are UTC months: a zone east of
    # UTC would fire before the month has ended in UTC, hence UTC by default.
    scheduler_timezone: str = "UTC"
    hq_timezone: str = "Asia/Seoul"  # times shown in the HQ report
    hq_report_language: str = "ko"  # the HQ monthly report's language: "ko" or "en"
    run_scheduler_in_process: bool = False  # development only: `flask run` also runs the jobs
    smtp_host: str = ""  # empty: notifications stay in the outbox, readable through the API
    smtp_port: int = 587
    smtp_from: str = "k-sustain@localhost"
    smtp_user: str = ""  # when set: STARTTLS, then log in
    smtp_password: str = ""
    login_rate_limit: str = "10/300"
    trusted_proxies: int = 0
    report_test_delay_ms: int = 0  # crash tests only: pause mid-write of each report (never in production)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment)."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.name.upper())
            if raw is None or f.name == "extra":
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type == "int | None":
                values[f.name] = int(raw) if raw.strip() else None
            elif f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            else:
                values[f.name] = raw
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail fast on settings that are unsafe where they are used."""
        if self.env == "production" and (
            self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        ):
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "when ENV=production"
            )
        if self.env == "production" and self.report_test_delay_ms:
            raise ConfigError("REPORT_TEST_DELAY_MS is for crash tests only; unset it in production")
        if not 0 < self.token_ttl_hours <= self.token_max_ttl_hours:
            raise ConfigError("TOKEN_TTL_HOURS must be positive and at most TOKEN_MAX_TTL_HOURS")
        for name in ("scheduler_timezone", "hq_timezone"):
            try:
                zoneinfo.ZoneInfo(getattr(self, name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(
                    f"{name.upper()} {getattr(self, name)!r} is not an IANA timezone"
                ) from exc
        if self.hq_report_language not in REPORT_LANGUAGES:
            raise ConfigError(f"HQ_REPORT_LANGUAGE {self.hq_report_language!r} is not one of "
                              f"{', '.join(REPORT_LANGUAGES)}")
        object.__setattr__(self, "database_url", engine_url(self.database_url))

    def flask_config(self) -> dict[str, Any]:
        """The subset Flask and its extensions read from `app.config`."""
        return {
            "ENV_NAME": self.env,
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure or self.env == "production",
            "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=self.session_lifetime_hours),
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "DATABASE_URL": self.database_url,
            "SQLITE_BUSY_TIMEOUT_MS": self.sqlite_busy_timeout_ms,
            "TOKEN_TTL_HOURS": self.token_ttl_hours,
            "TOKEN_MAX_TTL_HOURS": self.token_max_ttl_hours,
            "TOKEN_LAST_USE_MINUTES": self.token_last_use_minutes,
            "IDEMPOTENCY_TTL_HOURS": self.idempotency_ttl_hours,
            "PUBLIC_BASE_URL": self.public_base_url.rstrip("/"),
            "SQL_ECHO": self.sql_echo,
            "SURVEY_REMINDER_DAYS": self.survey_reminder_days,
            "SURVEY_EXPIRY_DAYS": self.survey_expiry_days,
            "ACTION_DUE_DAYS": self.action_due_days,
            "BULLETIN_DUE_SOON_DAYS": self.bulletin_due_soon_days,
            "DEFAULT_ACTION_OWNER_STAFF_ID": self.default_action_owner_staff_id,
            "REPORT_MARKING": self.report_marking,
            "SCHEDULER_TIMEZONE": self.scheduler_timezone,
            "HQ_TIMEZONE": self.hq_timezone,
            "HQ_REPORT_LANGUAGE": self.hq_report_language,
            "RUN_SCHEDULER_IN_PROCESS": self.run_scheduler_in_process,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": self.smtp_port,
            "SMTP_FROM": self.smtp_from,
            "SMTP_USER": self.smtp_user,
            "SMTP_PASSWORD": self.smtp_password,
            "LOGIN_RATE_LIMIT": self.login_rate_limit,
            "TRUSTED_PROXIES": self.trusted_proxies,
            "REPORT_TEST_DELAY_MS": self.report_test_delay_ms,
            "API_TITLE": "K-Sustain",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "docs",
            "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",  # service.api.docs, never a CDN
            "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no badge fetched from outside
            "JSON_SORT_KEYS": False,
            **self.extra,
        }
