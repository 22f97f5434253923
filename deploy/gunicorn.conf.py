"""gunicorn settings for Amparo (scripts/prod-stack.sh, the Dockerfile and the systemd example in docs/deploy.md).

Every value can be changed by the environment; the defaults fit one small server behind nginx, which buffers slow
clients, so plain sync workers suffice. No access log here: nginx keeps the only one, without client addresses or
query strings (DESIGN rule 8); the error log gets the app's own log lines (capture_output), which never hold them.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "amparo.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8081")]
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
capture_output = errorlog != "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "amparo"
# Only the proxy talks to gunicorn; X-Forwarded-Proto is read by Django (SECURE_PROXY_SSL_HEADER), not here.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
