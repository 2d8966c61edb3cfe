"""gunicorn for one socket process: the Socket.IO waiting room (/socket.io), one per port behind nginx.

    gunicorn -c config/gunicorn_socket.py -b 127.0.0.1:8001
    gunicorn -c config/gunicorn_socket.py -b 127.0.0.1:8002

gunicorn's **gevent** worker (coroutines), exactly **one** worker per process: gunicorn's balancing is not sticky,
and every request of a Socket.IO client must reach the process that holds its session. The worker monkey-patches
the standard library before it loads the app (never preload it here), and this file sets
TELEVISIT_SOCKETIO_ASYNC=gevent, so Flask-SocketIO runs in its gevent mode (WebSocket through simple-websocket on
gevent's sockets; no gevent-websocket needed). The app refuses the one without the other (televisit/__init__.py,
`socketio_async_mode`), and this file refuses any other worker class or more than one worker.

An open WebSocket costs a few greenlets (its request, engine.io's reader/writer and pinger) and one file
descriptor, not four OS threads, so one process holds thousands of sockets without starving its heartbeat to the
master (docs/benchmarks.md, "Waiting room across the stack"). `worker_connections` caps the sockets and requests a
process serves at once: TELEVISIT_SOCKET_CONNECTIONS, default 10000 (one process takes the other's patients when
it dies, 5,000 between two processes in bench/ws_stack_bench.py; docs/waiting-room.md "Production"). The open-file
limit must be above it (deploy/systemd/televisit-socket@.service: LimitNOFILE=65536). TELEVISIT_SOCKET_THREADS (the
threaded worker's setting until session 9) is no longer read; a warning says so when it is still set.

Database work in socket handlers runs in greenlets: many may want a pooled connection at once (patients checking
in again after the other socket process died). They wait for one for up to TELEVISIT_DB_POOL_TIMEOUT seconds
(default 30) in SQLAlchemy's pool, which gevent makes cooperative; psycopg 3 waits on gevent's sockets by itself.

More cores: more such processes on their own ports, all with the same TELEVISIT_REDIS_URL (the message queue),
behind nginx. Everything of config/gunicorn.py applies; the command line still overrides any setting here, but
neither `workers` nor `worker_class` (refused at start).
"""

import logging
import os

from config.gunicorn import *  # noqa: F403  (the shared settings and hooks)
from config.gunicorn import on_starting as _shared_on_starting
from config.gunicorn import post_worker_init as _shared_post_worker_init

ASYNC_ENV = "TELEVISIT_SOCKETIO_ASYNC"

wsgi_app = "wsgi:app"
worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("TELEVISIT_SOCKET_CONNECTIONS") or 10000)
preload_app = False  # the worker must patch the standard library before the app (and its imports) load
bind = os.environ.get("TELEVISIT_SOCKET_BIND") or "127.0.0.1:8001"
# Read by the app in the worker (inherited from this master): Flask-SocketIO's gevent mode. Set here, with the
# worker class, not in /etc/televisit/env: the API workers and the jobs share that file and run threaded.
os.environ[ASYNC_ENV] = "gevent"
# A WebSocket is one long request: the worker's heartbeat to the master is a greenlet of the same loop, so `timeout`
# still catches a stuck process (a handler that blocks the loop) without cutting sockets.
timeout = 30
# On SIGTERM open WebSockets never finish by themselves: give the process a short while, then its patients'
# pages reconnect (to the other process: nginx moves them) and check in again, keeping their places.
graceful_timeout = 10
forwarded_allow_ips = "127.0.0.1,::1"


def on_starting(server) -> None:
    """Refuse more than one worker (a Socket.IO session would be split between them) and any worker but gevent's
    (the app runs Flask-SocketIO's gevent mode), then the shared hook."""
    if server.cfg.workers != 1:
        raise SystemExit(
            f"config/gunicorn_socket.py: a socket process runs exactly one worker, not {server.cfg.workers}"
        )
    from gunicorn.workers.ggevent import GeventWorker

    if not (isinstance(server.worker_class, type) and issubclass(server.worker_class, GeventWorker)):
        raise SystemExit(
            "config/gunicorn_socket.py: a socket process runs gunicorn's gevent worker, "
            f"not {server.cfg.worker_class_str!r}"
        )
    if os.environ.get("TELEVISIT_SOCKET_THREADS"):
        server.log.warning(
            "TELEVISIT_SOCKET_THREADS is no longer read (the socket process runs gevent): "
            "set TELEVISIT_SOCKET_CONNECTIONS (now %d) instead",
            server.cfg.worker_connections,
        )
    _shared_on_starting(server)


def post_worker_init(worker) -> None:
    """In the worker, after the app loaded: the shared hook, then one line saying how this process serves sockets."""
    _shared_post_worker_init(worker)
    from gevent import monkey

    from televisit.extensions import socketio

    logging.getLogger("gunicorn.error").info(
        "socket process: gunicorn %s worker, Socket.IO async mode %s, socket module patched by gevent: %s, "
        "up to %d connections",
        type(worker).__name__,
        socketio.server.async_mode,
        monkey.is_module_patched("socket"),
        worker.cfg.worker_connections,
    )
