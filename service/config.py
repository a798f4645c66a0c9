"""Typed settings read from the environment; refuses a default secret in production."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_SECRET = "dev-only-insecure-secret"  # noqa: S105 - refused in production below
INSTANCE_DIR = Path(os.environ.get("K_SUSTAIN_INSTANCE", Path.cwd() / "instance"))


class ConfigError(RuntimeError):
    """The environment describes a configuration the service must not start with."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads; each field maps to an upper-case environment variable."""

    env: str = "development"
    secret_key: str = DEFAULT_SECRET
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'k-sustain.db'}"
    sqlite_busy_timeout_ms: int = 15000
    token_ttl_hours: int = 24 * 30
    max_content_length: int = 1024 * 1024
    public_base_url: str = "http://127.0.0.1:5000"
    sql_echo: bool = False
    login_rate_limit: str = "10/300"
    trusted_proxies: int = 0
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
        if self.database_url.startswith("postgres://"):
            object.__setattr__(
                self, "database_url", "postgresql+psycopg://" + self.database_url[11:]
            )
        elif self.database_url.startswith("postgresql://"):
            object.__setattr__(
                self, "database_url", "postgresql+psycopg://" + self.database_url[13:]
            )

    def flask_config(self) -> dict[str, Any]:
        """The subset Flask and its extensions read from `app.config`."""
        return {
            "ENV_NAME": self.env,
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "DATABASE_URL": self.database_url,
            "SQLITE_BUSY_TIMEOUT_MS": self.sqlite_busy_timeout_ms,
            "TOKEN_TTL_HOURS": self.token_ttl_hours,
            "PUBLIC_BASE_URL": self.public_base_url.rstrip("/"),
            "SQL_ECHO": self.sql_echo,
            "LOGIN_RATE_LIMIT": self.login_rate_limit,
            "TRUSTED_PROXIES": self.trusted_proxies,
            "API_TITLE": "K-Sustain",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "OPENAPI_SWAGGER_UI_PATH": "docs",
            "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
            "JSON_SORT_KEYS": False,
            **self.extra,
        }
