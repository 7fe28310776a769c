"""Gunicorn settings for serving Eurasia in production; gunicorn reads this file from the working directory."""

import multiprocessing
import os

wsgi_app = "eurasia.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests are short and database-bound: a few processes per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Most requests take milliseconds; a curator's largest spreadsheet import may take a minute or two.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never becomes an outage.
max_requests = 1000
max_requests_jitter = 100
# The proxy in front (see docs/operations.md) is trusted to say the request came over HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
