"""The application the jobs run against: bound by `register_jobs`, handed to every job.

APScheduler stores a job by reference with simple arguments only, so it cannot carry the
Flask app. Every job is therefore stored as `schedules.runtime:run_job` naming its function;
when it fires, `run_job` calls that function with the application the scheduler was built
for (`service.core.scheduler.build_scheduler(app)`). Jobs receive the application; nothing
here builds one.
"""

from __future__ import annotations

from typing import Any

from apscheduler.util import ref_to_obj
from flask import Flask

_app: Flask | None = None


def bind(app: Flask) -> None:
    global _app
    _app = app


def run_job(job: str, **kwargs: Any) -> Any:
    """Run the job function `job` ("module:function") with the bound application."""
    if _app is None:
        raise RuntimeError(f"{job}: no application bound; jobs run in a scheduler built by "
                           "service.core.scheduler.build_scheduler(app)")
    return ref_to_obj(job)(_app, **kwargs)
