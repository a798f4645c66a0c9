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
"""

import os

wsgi_app = "service.wsgi:app"
bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
logger_class = "service.core.security.RedactingLogger"
