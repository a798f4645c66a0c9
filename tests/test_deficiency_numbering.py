"""Report numbers under concurrency: liaisons filing at once get different, consecutive numbers."""

from __future__ import annotations

import threading

from sqlmodel import select

from models import DeficiencyReport, User
from service.core.auth import principal_for_user
from service.core.db import session_scope
from service.domain.deficiencies import filing

THREADS, ROUNDS = 6, 4


def test_filers_at_once_get_consecutive_numbers(engine, world):
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def filer() -> None:
        try:
            start.wait()
            for _ in range(ROUNDS):
                with session_scope(engine) as s:
                    actor = principal_for_user(s.get(User, world.ids["user_pl"]))
                    filing.file_report(session=s, actor=actor, data={
                        "system_id": world.ids["k9"], "unit_ids": [world.ids["unit_PL"]],
                        "category": "quality", "severity": "minor", "title": "Paint blistering",
                        "description": "On the turret"})
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=filer) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(engine) as s:
        seqs = sorted(s.exec(select(DeficiencyReport.seq)).all())
        numbers = set(s.exec(select(DeficiencyReport.number)).all())
    assert seqs == list(range(1, THREADS * ROUNDS + 1))
    assert len(numbers) == THREADS * ROUNDS
