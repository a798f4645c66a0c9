"""Issue 14's robustness items: hostile bodies, recurrence rules, logs, a full disk, 503s."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import sqlite3
import threading
import time
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from models import AuditEntry

DEEP = "[" * 2000 + "]" * 2000  # 4 KB, nested past the parser's recursion limit


# --- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/public/surveys/x",
                                  "/api/v1/systems"])
def test_deep_json_answers_400(client, world, path, caplog):
    r = client.post(path, data=DEEP, content_type="application/json", headers=world.headers("staff"))
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    assert body["code"] == 400 and body["errors"] == {"json": ["nested too deeply"]}
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_deep_json_sign_in_counts_against_the_limit(client, world, engine, monkeypatch, app):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3/300")
    answers = [client.post("/api/v1/auth/token", data=DEEP, content_type="application/json",
                           environ_base={"REMOTE_ADDR": "10.7.0.1"}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    with engine.connect() as conn:
        denied = [c["status"] for c in conn.scalars(
            sa.select(AuditEntry.changes).where(AuditEntry.action == "denied"))]
    assert 429 in denied


def _chunked(client, path, body: bytes, headers):
    """As gunicorn hands on a chunked body: no Content-Length, the stream ends where the body does."""
    return client.post(path, input_stream=io.BytesIO(body), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked", **headers},
                       environ_base={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_answers_413_and_writes_nothing(client, world, engine):
    before = _count(engine, "weapon_system")
    big = b'{"code": "BIG", "category": "land", "manufacturer": "m", "name": "' + b"x" * (
        1024 * 1024 + 10) + b'"}'
    r = _chunked(client, "/api/v1/systems", big, world.headers("staff"))
    assert r.status_code == 413, r.get_data(as_text=True)
    assert r.get_json()["code"] == 413
    assert _count(engine, "weapon_system") == before


def test_a_chunked_body_under_the_limit_is_read_whole(client, world):
    body = b'{"code": "SMALL", "name": "Small", "category": "land", "manufacturer": "m"}'
    r = _chunked(client, "/api/v1/systems", body, world.headers("staff"))
    assert r.status_code == 201, r.get_data(as_text=True)


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608



# --- recurrence rules ------------------------------------------------------------------------

NEVER = ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2",
         "FREQ=MINUTELY;BYSECOND=59;BYMONTHDAY=31;BYMONTH=4;COUNT=3",
         "FREQ=DAILY;INTERVAL=7;BYDAY=TU;COUNT=2", "FREQ=HOURLY;INTERVAL=168;BYDAY=TU;COUNT=2",
         "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29;COUNT=2",
         "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20300101T000000Z",
         "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=SECONDLY;BYMONTHDAY=31;BYMONTH=4"]


@pytest.mark.parametrize("rule", NEVER)
def test_any_rule_is_answered_well_under_a_second(rule):
    """Rules that yield nothing used to walk every day up to the year 9999 (25 s)."""
    from service.domain import recurrence
    from service.domain.errors import Invalid

    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday
    began = time.perf_counter()
    with pytest.raises(Invalid):
        recurrence.expand(rule=rule, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                          timezone="Europe/Warsaw")
    assert time.perf_counter() - began < 0.5


def test_a_hostile_rule_through_the_api_is_refused_quickly(client, world, engine):
    began = time.perf_counter()
    r = client.post("/api/v1/events", headers=world.headers("staff"), json={
        "kind": "trial_run", "title": "Never", "country": "PL", "system_id": world.ids["k9"],
        "starts_at": "2026-03-02T08:00:00Z", "ends_at": "2026-03-02T09:00:00Z",
        "recurrence": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5"})
    assert r.status_code == 422 and "recurrence" in r.get_json()["errors"]
    assert time.perf_counter() - began < 1
    assert _count(engine, "service_event") == 0


@pytest.mark.parametrize("rule, start", [
    ("FREQ=MONTHLY;INTERVAL=3;COUNT=8", dt.datetime(2026, 1, 31, 9)),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2", dt.datetime(2028, 2, 29, 9)),  # leap years
    ("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=30", dt.datetime(2026, 3, 23, 9)),  # across DST
    ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=24", dt.datetime(2026, 1, 30, 9)),
    ("FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;COUNT=2", dt.datetime(2026, 12, 31, 9)),
    ("FREQ=YEARLY;COUNT=3", dt.datetime(2098, 6, 1, 9)),  # across 2100, no 29 February
    ("FREQ=MONTHLY;BYMONTHDAY=29;COUNT=30", dt.datetime(2099, 1, 29, 9)),
    ("FREQ=DAILY;INTERVAL=10;UNTIL=20270101T000000Z", dt.datetime(2026, 1, 1, 9)),
])
def test_bounded_expansion_yields_what_dateutil_yields(rule, start):
    from dateutil.rrule import rrulestr

    from service.domain import recurrence

    tz = zoneinfo.ZoneInfo("Europe/Warsaw")
    ours = recurrence._occurrences(rule, start, tz)
    plain = rrulestr(rule.split(";UNTIL")[0] + (";UNTIL=20261231T230000" if "UNTIL" in rule else ""),
                     dtstart=start)
    assert ours == list(plain)


@pytest.mark.parametrize("rule", ["FREQ=YEARLY;COUNT=11", "FREQ=YEARLY;INTERVAL=20;COUNT=2",
                                  "FREQ=MONTHLY;UNTIL=20400101T000000Z", "FREQ=YEARLY;INTERVAL=20"])
def test_a_series_ends_within_the_horizon(rule):
    from service.domain import recurrence
    from service.domain.errors import Invalid

    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(Invalid):
        recurrence.expand(rule=rule, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                          timezone="Europe/Warsaw")


# --- a full disk, an unavailable database ----------------------------------------------------


@contextlib.contextmanager
def failing_writes(engine: sa.Engine, *, full: bool) -> Iterator[None]:
    """Every INSERT fails as the driver fails when the disk is full (or the server is gone)."""
    if engine.dialect.name == "sqlite":
        error: Exception = sqlite3.OperationalError(
            "database or disk is full" if full else "unable to open database file")
        if full:
            error.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]  # set by the C driver
    else:
        import psycopg.errors

        error = (psycopg.errors.DiskFull("could not extend file: No space left on device") if full
                 else psycopg.errors.AdminShutdown("terminating connection due to administrator command"))

    def fail(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            raise error

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def _new_system(client, world, code: str) -> Any:
    return client.post("/api/v1/systems", headers=world.headers("staff"), json={
        "code": code, "name": code, "category": "land", "manufacturer": "m"})


def test_a_full_disk_answers_507_is_logged_once_and_shown_by_health(app, client, world, engine,
                                                                   caplog, monkeypatch):
    monkeypatch.setitem(app.extensions, "k_sustain_storage_full_at", None)  # undone afterwards
    caplog.set_level(logging.INFO)
    with failing_writes(engine, full=True):
        answers = [_new_system(client, world, f"FULL{i}") for i in range(3)]
    assert {r.status_code for r in answers} == {507}, [r.get_json() for r in answers]
    assert "storage is full" in answers[0].get_json()["message"]
    full = [r for r in caplog.records if "storage is full" in r.getMessage()]
    assert len(full) == 1 and full[0].levelno == logging.ERROR and not full[0].exc_info
    assert client.get("/health").get_json() == {"status": "degraded", "database": "ok", "storage": "full"}
    assert _count(engine, "weapon_system") == 2  # the world's two systems, nothing more
    monkeypatch.setattr("service.core.errors.STORAGE_FULL_HOLD_S", 0.0)
    time.sleep(0.01)
    assert client.get("/health").get_json()["storage"] == "ok"


def test_every_503_logs_one_line_with_its_reason_and_no_traceback(client, world, engine, caplog):
    caplog.set_level(logging.INFO)
    with failing_writes(engine, full=False):
        answers = [_new_system(client, world, f"DOWN{i}") for i in range(3)]
    assert {r.status_code for r in answers} == {503}
    lines = [r for r in caplog.records if "unavailable (503)" in r.getMessage()]
    assert len(lines) == 3 and not any(r.exc_info or r.exc_text for r in caplog.records)
    assert all("terminating connection" in r.getMessage() or "unable to open" in r.getMessage()
               for r in lines)
    assert "Traceback" not in caplog.text


# --- tokens in gunicorn's access log ---------------------------------------------------------

FEED = "/api/v1/calendar/7-0123456789abcdef0123456789abcdef.ics"
SURVEY = "/api/v1/public/surveys/Zq3_secretSurveyToken-AbCdEfGhIjKlMnOpQrStUvW"
WEB_SURVEY = "/surveys/Zq3_secretSurveyToken-AbCdEfGhIjKlMnOpQrStUvW/thanks"
SECRETS = ("0123456789abcdef0123456789abcdef", "secretSurveyToken")


def test_the_deployments_gunicorn_logger_redacts_every_access_line(tmp_path):
    from types import SimpleNamespace

    from gunicorn.config import Config

    cfg = Config()
    for key, value in _gunicorn_conf().items():
        if key in cfg.settings and key not in {"bind", "workers", "wsgi_app"}:
            cfg.set(key, value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s "%({authorization}i)s"')
    logger = cfg.logger_class(cfg)
    for path, query in ((FEED, ""), (SURVEY, ""), (WEB_SURVEY, "next=%2Fsurveys%2FsecretSurveyToken1")):
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": path + ("?" + query if query else ""),
                   "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path, "QUERY_STRING": query,
                   "REMOTE_ADDR": "10.1.1.1", "HTTP_REFERER": f"https://k.example{SURVEY}"}
        req = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer kst_secretSurveyTokenish")])
        resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
        logger.access(resp, req, environ, dt.timedelta(milliseconds=3))
    text = (tmp_path / "access.log").read_text()
    assert text.count("\n") == 3 and "/calendar/***.ics" in text and "/surveys/***" in text
    assert not any(secret in text for secret in SECRETS), text


def _gunicorn_conf() -> dict[str, Any]:
    from tests.live import GUNICORN_CONF

    namespace: dict[str, Any] = {}
    exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if not k.startswith("_")}


def test_the_readme_deploys_with_that_config():
    from tests.live import ROOT

    assert "gunicorn -c gunicorn.conf.py" in (ROOT / "README.md").read_text()
    assert _gunicorn_conf()["logger_class"] == "service.core.security.RedactingLogger"


@pytest.mark.slow
def test_a_live_gunicorn_logs_no_token(app, world, tmp_path):
    from tests.live import Server, call

    server = Server(app.config["DATABASE_URL"].replace("+psycopg", ""), tmp_path / "gunicorn.log",
                    ACCESS_LOG="-")  # the access log is off unless configured
    server.start()
    try:
        for path in (FEED, SURVEY, WEB_SURVEY):
            call("GET", server.url + path, headers={"Referer": server.url + SURVEY})
        call("POST", server.url + SURVEY, body={"answers": {}})
    finally:
        server.stop()
    text = (tmp_path / "gunicorn.log").read_text()
    assert "/calendar/***.ics" in text and "/public/surveys/***" in text, text[-2000:]
    assert not any(secret in text for secret in SECRETS), text[-2000:]


# --- jobs and SQLite's write lock ------------------------------------------------------------

NOV_1 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)


def _sqlite_only(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL's advisory lock covers one report")


def test_scheduled_reports_render_without_holding_sqlites_write_lock(app, engine, world, monkeypatch):
    """`scheduler run`'s monthly job renders each report before it takes the write lock."""
    from schedules import monthly_reports
    from service.domain import pdf, reports

    _sqlite_only(engine)
    rendered = []

    def render(template: str, data: dict[str, Any]) -> pdf.RenderedPdf:
        other = sqlite3.connect(engine.url.database, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if a job holds the lock
            other.execute("ROLLBACK")
        finally:
            other.close()
        rendered.append(template)
        return pdf.RenderedPdf(pdf=f"%PDF-stand-in r{data['revision']}".encode(), pages=1)

    monkeypatch.setattr(reports, "render_document", render)
    outcomes = monthly_reports.run_for(app, now=NOV_1)
    assert {o.action for o in outcomes} == {"generated"} and len(rendered) == len(outcomes) == 6
    again = monthly_reports.run_for(app, now=NOV_1)  # final reports are skipped, never rendered
    assert {o.action for o in again} == {"skipped"} and len(rendered) == 6


def test_a_job_step_that_meets_the_lock_waits_and_retries(app, engine, world, caplog):
    from schedules.surveys import run_survey_jobs
    from service import create_app
    from service.core.db import get_engine

    _sqlite_only(engine)
    impatient = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                            "SQLITE_BUSY_TIMEOUT_MS": 200})
    holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # a writer holding the lock past the job's busy timeout
    release = threading.Timer(1.0, holder.execute, args=("ROLLBACK",))
    release.start()
    caplog.set_level(logging.INFO)
    try:
        done = run_survey_jobs(impatient, now=NOV_1)
    finally:
        release.join()
        holder.close()
        get_engine(impatient).dispose()
    assert set(done) == {"created", "expired", "reminded", "escalated"}
    assert "database locked (attempt 1 of 5)" in caplog.text


def test_monthly_reports_and_the_survey_job_run_side_by_side(app, engine, world, monkeypatch):
    """`scheduler run` making the month's reports while `surveys run-jobs` runs: neither fails."""
    from schedules import monthly_reports
    from service import create_app
    from service.core.db import get_engine
    from service.domain import pdf, reports

    _sqlite_only(engine)

    def slow_render(template: str, data: dict[str, Any]) -> pdf.RenderedPdf:
        time.sleep(0.5)  # WeasyPrint's time for a long month, in small
        return pdf.RenderedPdf(pdf=f"%PDF-stand-in r{data['revision']}".encode(), pages=1)

    monkeypatch.setattr(reports, "render_document", slow_render)
    impatient = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                            "SQLITE_BUSY_TIMEOUT_MS": 300})
    results: dict[str, Any] = {}

    def scheduler() -> None:
        results["reports"] = monthly_reports.run_for(app, now=NOV_1)

    thread = threading.Thread(target=scheduler)
    thread.start()
    try:
        runs = []
        while thread.is_alive():
            r = impatient.test_cli_runner().invoke(args=["surveys", "run-jobs", "--now", NOV_1.isoformat()])
            runs.append((r.exit_code, r.output))
    finally:
        thread.join(60)
        get_engine(impatient).dispose()
    assert runs and all(code == 0 for code, _ in runs), runs
    assert {o.action for o in results["reports"]} == {"generated"}
