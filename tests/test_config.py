"""Settings: environment parsing and the production guard."""

from __future__ import annotations

import pytest

from service.core.config import ConfigError, Settings


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"ENV": "production"})
    with pytest.raises(ConfigError):
        Settings.from_env({"ENV": "production", "SECRET_KEY": "short"})
    ok = Settings.from_env({"ENV": "production", "SECRET_KEY": "s" * 40})
    assert ok.secret_key == "s" * 40


def test_postgres_urls_use_psycopg3():
    s = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db", "TOKEN_TTL_HOURS": "2"})
    assert s.database_url == "postgresql+psycopg://u@h/db" and s.token_ttl_hours == 2


def test_the_crash_test_delay_is_refused_in_production():
    assert Settings.from_env({"REPORT_TEST_DELAY_MS": "800"}).report_test_delay_ms == 800
    with pytest.raises(ConfigError, match="REPORT_TEST_DELAY_MS"):
        Settings.from_env({"ENV": "production", "SECRET_KEY": "s" * 40, "REPORT_TEST_DELAY_MS": "5"})


def test_postgres_urls_as_operators_write_them_name_the_psycopg_driver():
    from service.core.config import engine_url

    assert engine_url("postgres://u@db/k") == engine_url("postgresql://u@db/k") == "postgresql+psycopg://u@db/k"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
