"""gunicorn for the API workers: pages, /api/v1, /fhir, /healthz, /readyz, /metrics (everything but /socket.io).

    gunicorn -c config/gunicorn_api.py -b 127.0.0.1:8000

Sync workers, several per process: on a small machine they book 1.7x as fast as threaded ones (docs/benchmarks.md)
and a request never waits on another's GIL hand-off. Nothing here holds a WebSocket: nginx sends /socket.io to the
socket processes (config/gunicorn_socket.py), so gunicorn's non-sticky balancing between these workers is fine.
Everything of config/gunicorn.py applies (log masking, JSON logs, Prometheus multiprocess); the command line still
overrides any setting here.
"""

import os

from config.gunicorn import *  # noqa: F403  (the shared settings and hooks)

wsgi_app = "wsgi:app"
worker_class = "sync"
# WEB_CONCURRENCY is gunicorn's own variable; 4 workers on 2 cores: two per core, as the benchmarks ran.
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
bind = os.environ.get("TELEVISIT_API_BIND") or "127.0.0.1:8000"
timeout = 30  # a worker stuck this long is killed and replaced (the slowest request measured is far below)
graceful_timeout = 20  # on SIGTERM, requests in flight get this long to finish
# Restart each worker after about this many requests: bounded memory growth, restarts spread out by the jitter.
max_requests = 2000
max_requests_jitter = 200
# Only nginx on this machine may say who the client is (X-Forwarded-*); the app reads them by TELEVISIT_PROXY_HOPS.
forwarded_allow_ips = "127.0.0.1,::1"
