"""The mixed workload over HTTP: liaisons reading while staff write.

Readers: wrk at 16 connections, round-robin over every bench country's liaison (one token
each) asking for their dashboard and a page of their events (pages and filters varied).
Writers: 3 writes a second from this process, open loop (each write is sent at its time,
whatever the earlier ones are doing), spread over the countries in turn: an event's details
patched, a service created, that service cancelled, a corrective action patched.
Each round runs four phases in alternating order: the readers with the writers, the writers
alone (their latency with no readers), the readers alone on one connection (a read's own time,
no queue) and wrk on the bare Flask app (the machine's rate).

The floors beside the figures: the readers are a closed loop (each connection sends its next
request when the last is answered) of `harness.CONNECTIONS` connections on `harness.WORKERS`
workers, so the machine is always busy and, by Little's law, a read's mean latency is at least
connections x its own time / workers (16 on 2: eight reads ahead or beside it, whether they
queue in front of a sync worker or share a threaded worker's interpreter); its p99 cannot be
below that mean. A write under that load shares a worker with connections / workers reads, so
under any fair scheduling (a FIFO accept queue, threads taking turns at the GIL, the kernel's
scheduler) its latency is at least (1 + connections / workers) x its latency with no readers.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bench import harness
from service.core.config import engine_url

KINDS = ("patch_event", "create_event", "patch_action", "cancel_event")
# Services the writers create start here, two hours apart (a new day's run starts elsewhere).
FUTURE = dt.datetime(2040, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=dt.date.today().toordinal() % 3650)
ENV = {"SECRET_KEY": "bench-secret-" + "x" * 32}


@dataclass
class Country:
    code: str
    token: str
    event_id: int  # a planned or confirmed service to patch
    system_id: int
    action_id: int | None  # an open corrective action to patch


@dataclass
class Workload:
    staff_token: str
    countries: list[Country]
    created: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    serial: int = 0


def prepare(url: str) -> Workload:
    """A liaison in every country that has none (the demo names a few), a token for each
    liaison and one for staff (made in-process, as `users token` makes them), and for each
    country the rows the writers change."""
    from models import Country as CountryRow
    from models import Role, User
    from service.core.db import make_engine, session_scope
    from service.domain import identity

    engine = make_engine(engine_url(url))
    with engine.connect() as conn:
        events = dict(conn.execute(sa.text(
            "SELECT country_code, min(id) FROM service_event WHERE status IN ('planned', 'confirmed') "
            "GROUP BY country_code")).all())
        systems = dict(conn.execute(sa.select(sa.column("id"), sa.column("system_id"))
                                    .select_from(sa.table("service_event"))
                                    .where(sa.column("id").in_(list(events.values())))).all())
        actions = dict(conn.execute(sa.text(
            "SELECT country_code, min(id) FROM corrective_action WHERE status IN ('open', 'in_progress') "
            "GROUP BY country_code")).all())
    tokens: dict[str, str] = {}
    with session_scope(engine, actor=(None, "bench")) as session:
        found = session.scalars(sa.select(User).where(User.role == Role.liaison))
        liaisons = {u.country_code: u for u in found}
        password = identity.hash_password("bench-" + "x" * 20)  # one hash for every added liaison
        for code in session.scalars(sa.select(CountryRow.code).order_by(CountryRow.code)):
            if code not in liaisons:
                liaisons[code] = User(email=f"liaison.{code.lower()}@bench.k-sustain.example",
                                      name=f"{code} bench liaison", role=Role.liaison, country_code=code,
                                      password_hash=password)
                session.add(liaisons[code])
        session.flush()
        staff = session.scalars(sa.select(User).where(User.role == Role.staff).order_by(User.id)).first()
        assert staff is not None, "the bench data set has no staff user"
        for code, user in [*liaisons.items(), ("staff", staff)]:
            tokens[str(code)], _ = identity.issue_token(session=session, user=user, name="bench",
                                                        ttl=dt.timedelta(days=1))
    engine.dispose()
    countries = [Country(code, tokens[code], event_id, systems[event_id], actions.get(code))
                 for code, event_id in sorted(events.items()) if code in tokens]
    assert len(countries) >= 50, f"the bench data set has services to change in {len(countries)} countries"
    return Workload(tokens["staff"], countries)


def reads(work: Workload) -> list[tuple[str, dict[str, str]]]:
    """Each liaison's dashboard and one page of their events, the page and filter varied."""
    since = (dt.date.today() - dt.timedelta(days=365)).isoformat()
    variants = ("&page=1", "&page=2", "&status=completed", f"&from={since}", "&page=3&kind=joint_training")
    out = []
    for i, c in enumerate(work.countries):
        auth = {"Authorization": f"Bearer {c.token}"}
        out.append((f"/api/v1/countries/{c.code}/status", auth))
        out.append((f"/api/v1/events?country={c.code}&page_size=50{variants[i % len(variants)]}", auth))
    return out


def _send(base: str, method: str, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "If-Match": "*"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def _write(base: str, work: Workload, n: int) -> tuple[str, int, float]:
    country = work.countries[n % len(work.countries)]
    kind = KINDS[n % len(KINDS)]
    with work.lock:
        work.serial += 1
        serial = work.serial
        created = work.created.pop(0) if kind == "cancel_event" and work.created else None
    if kind == "patch_action" and country.action_id is None or kind == "cancel_event" and created is None:
        kind = "patch_event"
    started = time.perf_counter()
    try:
        if kind == "patch_event":
            status, _ = _send(base, "PATCH", f"/api/v1/events/{country.event_id}", work.staff_token,
                              {"objectives": f"bench write {serial}"})
        elif kind == "patch_action":
            status, _ = _send(base, "PATCH", f"/api/v1/actions/{country.action_id}", work.staff_token,
                              {"resolution": f"bench write {serial}"})
        elif kind == "cancel_event":
            status, _ = _send(base, "POST", f"/api/v1/events/{created}/transition", work.staff_token,
                              {"status": "cancelled", "reason": "bench: created to be cancelled"})
        else:
            # Far in the future, an hour of its own each, no staff or units: nothing to clash with.
            starts = FUTURE + dt.timedelta(hours=2 * serial)
            status, body = _send(base, "POST", "/api/v1/events", work.staff_token, {
                "kind": "joint_training", "country": country.code, "system_id": country.system_id,
                "title": f"bench service {serial}", "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(hours=1)).isoformat()})
            if status == 201:
                with work.lock:
                    work.created.append(int(body["id"]))
    except OSError:
        status = 0
    return kind, status, (time.perf_counter() - started) * 1000


def write_for(base: str, work: Workload, seconds: float, rate: float = 3.0) -> list[tuple[str, int, float]]:
    """`rate` writes a second for `seconds`, each sent at its time (a small pool, so a slow
    write does not hold the next one back); returns (kind, status, ms) of each."""
    count = int(seconds * rate)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = []
        for n in range(count):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(_write, base, work, n))
        return [f.result(timeout=30) for f in futures]


def _summary(writes: list[tuple[str, int, float]]) -> dict[str, Any]:
    ms = sorted(w[2] for w in writes)
    return {"count": len(ms), "p50_ms": statistics.median(ms), "p99_ms": ms[max(0, int(len(ms) * 0.99) - 1)],
            "max_ms": ms[-1], "errors": sum(1 for w in writes if not 200 <= w[1] < 300),
            "statuses": sorted({w[1] for w in writes}), "kinds": sorted({w[0] for w in writes})}


def run(url: str, *, label: str, rounds: int, seconds: int,
        worker: tuple[str, ...] = harness.WORKER) -> dict[str, Any]:
    """Rounds of (mixed, writes alone, reads alone on one connection, bare app), in alternating
    order, on the same servers (the service's workers: `worker`, gunicorn arguments)."""
    work = prepare(url)
    requests = reads(work)
    env = {**ENV, "DATABASE_URL": url}
    samples: dict[str, list[Any]] = {"mixed_reads": [], "mixed_writes": [], "alone_writes": [], "bare": [],
                                     "alone_reads": []}
    with harness.gunicorn("bench.bare_app:app", {}, extra=worker) as bare, \
            harness.gunicorn("service.wsgi:app", env, health="/health", extra=worker) as service:
        harness.load_many(service, requests, seconds=2)  # warm-up: every worker compiles its statements
        write_for(service, work, 2)

        def mixed() -> None:
            with concurrent.futures.ThreadPoolExecutor(1) as writer:
                writes = writer.submit(write_for, service, work, seconds)
                samples["mixed_reads"].append(harness.load_many(service, requests, seconds=seconds, warmup=0))
                samples["mixed_writes"].append(_summary(writes.result(timeout=seconds + 60)))

        def alone() -> None:
            samples["alone_writes"].append(_summary(write_for(service, work, seconds)))

        def bare_app() -> None:
            samples["bare"].append(harness.load(bare + "/", seconds=seconds))

        def one_reader() -> None:
            samples["alone_reads"].append(harness.load_many(service, requests, seconds=max(2, seconds // 2),
                                                            connections=1))

        phases = [mixed, alone, one_reader, bare_app]
        for n in range(rounds):
            for phase in phases if n % 2 == 0 else phases[::-1]:
                phase()
            r, w, a, b, one = (samples[k][-1] for k in ("mixed_reads", "mixed_writes", "alone_writes", "bare",
                                                         "alone_reads"))
            print(f"  [{label}] round {n + 1}: reads {r.rps:,.0f}/s p99 {r.p99_ms:.1f} ms "
                  f"errors {r.errors}; writes p50 {w['p50_ms']:.1f} p99 {w['p99_ms']:.1f} ms errors "
                  f"{w['errors']} (alone p50 {a['p50_ms']:.1f} ms); one reader: mean {one.mean_ms:.1f} ms; "
                  f"bare {b.rps:,.0f}/s", flush=True)
    reads_, writes_ = samples["mixed_reads"], samples["mixed_writes"]
    quiet, bares, ones = samples["alone_writes"], samples["bare"], samples["alone_reads"]
    share = harness.CONNECTIONS / harness.WORKERS  # reads beside each one, per worker

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    return {
        "label": label, "rounds": rounds, "seconds": seconds, "connections": harness.CONNECTIONS,
        "workers": harness.WORKERS, "worker": harness.worker_label(worker),
        "tool": reads_[0].tool, "countries": len(work.countries), "read_paths": len(requests),
        "write_rate_per_s": 3.0,
        "read_rps": spread([x.rps for x in reads_]), "bare_rps": spread([x.rps for x in bares]),
        "read_vs_bare": spread([r.rps / b.rps for r, b in zip(reads_, bares, strict=True)]),
        "read_p50_ms": spread([x.p50_ms for x in reads_]), "read_p99_ms": spread([x.p99_ms for x in reads_]),
        "read_errors": sum(x.errors for x in reads_ + ones),
        "write_p50_ms": spread([w["p50_ms"] for w in writes_]),
        "write_p99_ms": spread([w["p99_ms"] for w in writes_]),
        "write_errors": sum(w["errors"] for w in writes_) + sum(w["errors"] for w in quiet),
        "write_statuses": sorted({s for w in writes_ + quiet for s in w["statuses"]}),
        "writes": sum(w["count"] for w in writes_),
        "alone_write_p50_ms": spread([w["p50_ms"] for w in quiet]),
        "write_under_load_vs_alone": spread([w["p50_ms"] / q["p50_ms"]
                                             for w, q in zip(writes_, quiet, strict=True)]),
        # A read's own time (one connection, nothing queued) and the floors it sets (module doc).
        "read_alone_mean_ms": spread([x.mean_ms for x in ones]),
        "read_alone_p50_ms": spread([x.p50_ms for x in ones]),
        "read_floor_ms": spread([share * x.mean_ms for x in ones]),
        "write_under_load_floor": 1 + share,
    }
