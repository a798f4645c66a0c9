"""Crashes while reports are written: kill -9 the scheduler mid-run, and a web worker mid-POST.

REPORT_TEST_DELAY_MS holds each report's transaction open between its metadata and its PDF
bytes, so the kills land inside it. Afterwards every ready report has its file, whose SHA-256,
size and page count match the row; there is one row per (kind, scope, period); and the work
the crash cut off is done once: the restarted scheduler makes the missing reports (revision 1,
one attempt each) and leaves the finished ones alone, and a retried POST makes its report.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa

from models import Report, ReportFile
from tests.live import Server, call, kill_9, start_scheduler, wait_until

DELAY_MS = 800
STAND_INS = "2020-01"  # the world's stored rows (not rendered PDFs)


def _url(app: Any) -> str:
    return str(app.config["DATABASE_URL"]).replace("+psycopg", "")


def sound_reports(engine: sa.Engine) -> dict[tuple[str, str, str], Any]:
    """Every report row, checked: a ready one has its file and they agree; keys are unique."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Report.id, Report.kind, Report.scope_key, Report.period, Report.status,
                      Report.revision, Report.attempts, Report.sha256, Report.size, Report.pages,
                      Report.generated_at, ReportFile.pdf)
            .outerjoin(ReportFile, ReportFile.report_id == Report.id)
            .where(Report.period != STAND_INS)).all()
    for row in rows:
        if row.status == "ready":
            assert row.pdf is not None, f"report {row.id} is ready without its PDF"
            assert hashlib.sha256(row.pdf).hexdigest() == row.sha256 and len(row.pdf) == row.size
            assert len(pypdf.PdfReader(io.BytesIO(row.pdf)).pages) == row.pages
        else:
            assert row.pdf is None and row.sha256 is None, f"failed report {row.id} half-written"
    found = {(row.kind, row.scope_key, row.period): row for row in rows}
    assert len(found) == len(rows), "two rows for one (kind, scope, period)"
    return found


@pytest.mark.slow
def test_kill_9_the_scheduler_mid_run_then_restart_makes_each_report_once(app, engine, world,
                                                                          tmp_path):
    with engine.begin() as conn:  # a fresh job store: the scheduler has never run here
        conn.execute(sa.text("DROP TABLE IF EXISTS apscheduler_jobs"))
    log = tmp_path / "scheduler.log"
    ready = lambda: sum(r.status == "ready" for r in sound_reports(engine).values())  # noqa: E731
    kept: dict[tuple[str, str, str], Any] = {}
    # Two runs cut off by kill -9 inside a report's transaction, each after some reports.
    for done, pause in ((1, 0.3), (3, 0.7)):
        proc = start_scheduler(_url(app), log, REPORT_TEST_DELAY_MS=str(DELAY_MS))
        try:
            wait_until(lambda done=done: ready() >= done, f"{done} reports")
            time.sleep(pause)  # the next report is rendering, or written but not its bytes
        finally:
            kill_9(proc)
        found = sound_reports(engine)
        assert all(r.revision == 1 and r.attempts == 1 for r in found.values()), found
        for key, row in found.items():
            assert kept.get(key, row).generated_at == row.generated_at  # never made twice
        kept = found
    assert len(kept) < 6, "the kills came too late to cut anything off"
    # Restarted: the cut-off run is finished at once; what was made is not made again.
    proc = start_scheduler(_url(app), log)
    try:
        wait_until(lambda: "monthly-reports: done" in log.read_text(), "the catch-up run")
    finally:
        kill_9(proc)
    found = sound_reports(engine)
    periods = {period for _, _, period in found}
    scopes = (("country_monthly", "NO"), ("country_monthly", "PL"), ("hq_monthly", "HQ"))
    assert sorted(found) == sorted((kind, scope, p) for p in periods for kind, scope in scopes)
    assert len(periods) == 2
    assert {(r.status, r.revision, r.attempts) for r in found.values()} == {("ready", 1, 1)}
    assert all(found[key].generated_at == row.generated_at for key, row in kept.items())
    print(f"\n[scheduler kill -9 {engine.dialect.name}] due=6 after_kills={len(kept)} "
          f"after_restart={len(found)} all revision 1, one attempt each")


@pytest.mark.slow
def test_kill_9_a_web_worker_mid_report_leaves_no_half_report(app, engine, world, tmp_path):
    # A cold worker renders for about 0.9 s, then holds the written row for 2 s.
    live = Server(_url(app), tmp_path / "gunicorn.log", REPORT_TEST_DELAY_MS="2000")
    live.start()
    staff = world.headers("staff")
    outcomes: dict[str, Any] = {}
    try:
        # Kill every worker at a different moment of the request: while rendering, while the
        # written row waits for its bytes, and just after the answer.
        for period, pause in (("2025-01", 0.4), ("2025-02", 1.8), ("2025-03", None)):
            def post(period: str = period) -> None:
                try:
                    outcomes[period] = call("POST", f"{live.url}/api/v1/reports", headers=staff,
                                            body={"period": period, "country": "PL"}, timeout=20)[0]
                except OSError:
                    outcomes[period] = "cut off"

            thread = threading.Thread(target=post)
            thread.start()
            if pause is None:
                thread.join(30)
            else:
                time.sleep(pause)
            for pid in live.workers():
                kill_9_pid(pid)
            thread.join(30)
            wait_until(lambda: _healthy(live), "gunicorn's new workers")
            sound_reports(engine)
        found = sound_reports(engine)
        acknowledged = {p for p, status in outcomes.items() if status == 201}
        assert acknowledged <= {period for _, _, period in found}  # nothing acknowledged is lost
        assert list(outcomes.values()).count("cut off") >= 1 and outcomes["2025-03"] == 201, outcomes
        # The client retries what it was not told, all at once (one worker each): each report
        # is then made, once per key.
        retried = sorted(set(outcomes) - acknowledged)
        with ThreadPoolExecutor(len(retried)) as pool:
            answers = dict(zip(retried, pool.map(lambda period: call(
                "POST", f"{live.url}/api/v1/reports", headers=staff,
                body={"period": period, "country": "PL"}, timeout=30), retried), strict=True))
        for period, (status, _, body) in answers.items():
            before = found.get(("country_monthly", "PL", period))
            assert status == 201, body
            assert body["revision"] == (before.revision + 1 if before else 1)
        after = sound_reports(engine)
        assert sorted(p for _, _, p in after) == sorted(outcomes)
        assert {r.status for r in after.values()} == {"ready"}
    finally:
        live.stop()
    print(f"\n[report POST kill -9 {engine.dialect.name}] attempted={len(outcomes)} "
          f"acknowledged={len(acknowledged)} found={len(found)} "
          f"cut_off={list(outcomes.values()).count('cut off')} after_retry={len(after)}")


def kill_9_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have died already
        os.kill(pid, signal.SIGKILL)


def _healthy(live: Server) -> bool:
    return live.healthy() and len(live.workers()) == 2
