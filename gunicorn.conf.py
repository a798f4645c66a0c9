"""gunicorn's settings for K-Sustain: `gunicorn -c gunicorn.conf.py` (the README's deployment).

Threaded workers (`gthread`), about two per core (WEB_CONCURRENCY overrides), each with
WEB_THREADS (8) threads: a sync worker holds every request, a staff write too, behind the reads it
accepted before, where threads share the worker and overlap their waits on the database (the
mixed workload, `bench/harness.py`, measured both side by side). Errors always go to stderr; the
access log only where ACCESS_LOG names it (`-` for stdout, or a file): a line per request
written by the worker that answers it costs every request, and most deployments log requests
at their proxy. Every line is redacted by `service.core.security.RedactingLogger` (calendar-feed and
survey tokens are part of their URLs, bearer tokens and cookies are headers a log format could
name).

The application is loaded once, in the master (`preload_app`), and each worker is forked from
it: a worker that gunicorn restarts (after a crash, a kill or a timeout) answers within
milliseconds instead of importing and building the application again (a window of seconds
with one worker fewer), and the workers share the master's memory pages. The master opens no
database connection; `post_fork` still empties each worker's copy of the pool, as SQLAlchemy
asks of an engine that crosses a fork. A new release is a restart (`systemctl restart`): a
HUP re-forks the workers from the application the master already holds.
"""

import os

wsgi_app = "service.wsgi:app"
preload_app = True
bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
logger_class = "service.core.security.RedactingLogger"


def post_fork(server, worker):  # noqa: ARG001 (gunicorn's hook signature)
    from service.core.db import get_engine
    from service.wsgi import app

    get_engine(app).dispose(close=False)  # connections, if any, stay the master's
