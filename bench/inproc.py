"""In-process figures: satisfaction, one report against WeasyPrint alone, history, SQL counts."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session

from service import create_app
from service.core.db import get_engine
from service.domain import periods, reports

ACTOR = (None, "bench")


def app_for(url: str) -> Flask:
    """The service in-process: in-process figures measure the work itself (queries, rendering)."""
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 32})


def interleaved(fns: dict[str, Callable[[], Any]], *, runs: int, warmup: int = 1,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds of each function, the runs interleaved so drift hits every side alike.

    `clock=time.process_time` counts this process's CPU only: for comparisons of in-process
    work (SQLite runs in-process) on a machine whose other processes come and go.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    order = list(fns.items())
    for n in range(runs):
        for key, fn in order if n % 2 == 0 else order[::-1]:  # A B, B A, ...: no side goes first always
            started = clock()
            fn()
            samples[key].append(clock() - started)
    return {k: statistics.median(v) for k, v in samples.items()}


def last_month() -> str:
    return periods.shift(periods.current(), -1)


def satisfaction_all_countries(app: Flask, *, runs: int = 15) -> float:
    """Seconds for every country's figures over 12 months, grouped by month (one session each)."""
    from service.domain import satisfaction

    engine = get_engine(app)
    last = periods.current()

    def run() -> None:
        with Session(engine) as session:
            result = satisfaction.figures(session=session, period_from=periods.shift(last, -11),
                                          period_to=last)
            assert len(result["by_month"]) == 12

    return interleaved({"figures": run}, runs=runs, warmup=2)["figures"]


def busiest_country(app: Flask, period: str) -> str:
    from models import ServiceEvent

    start, end = periods.bounds(period)
    with Session(get_engine(app)) as session:
        return str(session.execute(
            sa.select(ServiceEvent.country_code).where(ServiceEvent.starts_at >= start,
                                                       ServiceEvent.starts_at < end)
            .group_by(ServiceEvent.country_code)
            .order_by(sa.func.count().desc(), ServiceEvent.country_code).limit(1)).scalar_one())


def _weasyprint_alone(app: Flask, country: str, period: str) -> Callable[[], Any]:
    """Render the report's own HTML straight through WeasyPrint, with the same URL fetcher and
    font configuration."""
    from weasyprint import HTML

    from service.domain import pdf, report_data

    with Session(get_engine(app)) as session:
        data = report_data.country_monthly(session=session, country_code=country, period=period,
                                           now=dt.datetime.now(dt.UTC), revision=1,
                                           marking="UNCLASSIFIED")
    html = pdf.render_html(reports.TEMPLATES["country_monthly"], data)

    def render() -> None:
        with pdf.RENDERING:
            document = HTML(string=html, base_url=pdf.TEMPLATES_DIR.as_uri() + "/",
                            url_fetcher=pdf.url_fetcher()).render(font_config=pdf.font_config())
            document.write_pdf()

    return render


def _generate(app: Flask, country: str, period: str) -> Callable[[], Any]:
    engine = get_engine(app)
    options = reports.Options.from_config(app.config)

    def run() -> None:
        outcome = reports.generate(engine=engine, kind="country_monthly", period=period,
                                   country_code=country, actor=ACTOR, options=options)
        assert outcome.action == "generated", outcome

    return run


def one_report(app: Flask, country: str, period: str, *, runs: int = 7) -> dict[str, float]:
    """Generating one country's report (data, HTML, PDF, stored) against WeasyPrint alone."""
    return interleaved({"generate": _generate(app, country, period),
                        "weasyprint": _weasyprint_alone(app, country, period)}, runs=runs)


def dashboard_call(app: Flask, token: str, code: str) -> Callable[[], Any]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def call() -> None:
        response = client.get(f"/api/v1/countries/{code}/status", headers=headers)
        assert response.status_code == 200, response.status_code

    return call


def history(short: tuple[Flask, str], long: tuple[Flask, str], country: str, period: str,
            *, runs: int = 7, calls: int = 41) -> dict[str, float]:
    """The same month's report and dashboard on 1 and 10 years of history, interleaved.

    Compared on CPU time (the figures; wall times beside them): the question is whether the
    work grows with the history, and on a shared machine wall time also measures the neighbours.
    """
    (app1, token1), (app10, token10) = short, long
    out: dict[str, float] = {}
    for clock, suffix in ((time.process_time, ""), (time.perf_counter, "_wall")):
        report = interleaved({"1y": _generate(app1, country, period),
                              "10y": _generate(app10, country, period)}, runs=runs, clock=clock)
        dash = interleaved({"1y": dashboard_call(app1, token1, country),
                            "10y": dashboard_call(app10, token10, country)}, runs=calls, warmup=3,
                           clock=clock)
        out.update({f"report_1y{suffix}": report["1y"], f"report_10y{suffix}": report["10y"],
                    f"dashboard_1y{suffix}": dash["1y"], f"dashboard_10y{suffix}": dash["10y"]})
    return out


def statements(app: Flask, token: str, paths: list[str]) -> dict[str, int]:
    """SQL statements each request issues (counted on the engine)."""
    engine = get_engine(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for path in paths:
        seen: list[str] = []

        def record(_c: Any, _cur: Any, statement: str, *_a: Any, seen: list[str] = seen) -> None:
            if not statement.startswith("BEGIN"):
                seen.append(statement)

        client.get(path, headers=headers)  # warm: SQLAlchemy compiles once per process
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(path, headers=headers)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200, (path, response.status_code)
        out[path] = len(seen)
    return out


# --- a request against its own SQL on the bare driver ------------------------------------------
