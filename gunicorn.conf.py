"""gunicorn's settings for K-Sustain: `gunicorn -c gunicorn.conf.py` (the README's deployment).

Sync workers, about two per core (WEB_CONCURRENCY overrides). Errors always go to stderr; the
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
worker_class = "sync"
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
logger_class = "service.core.security.RedactingLogger"
