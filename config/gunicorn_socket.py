"""gunicorn for one socket process: the Socket.IO waiting room (/socket.io), one per port behind nginx.

    gunicorn -c config/gunicorn_socket.py -b 127.0.0.1:8001
    gunicorn -c config/gunicorn_socket.py -b 127.0.0.1:8002

Flask-SocketIO's documented production setup for its threading mode (WebSocket through simple-websocket; no
eventlet or gevent): gunicorn's threaded worker, exactly **one** worker per process, since gunicorn's balancing is
not sticky and every request of a Socket.IO client must reach the process that holds its session. Each open
WebSocket keeps one thread for as long as it is open, so threads and worker connections are set above the sockets a
process should hold (TELEVISIT_SOCKET_THREADS, default 6000: one process takes the other's patients when it dies,
5,000 between two processes in bench/ws_stack_bench.py; docs/waiting-room.md "Production"). Threads are started
as sockets arrive, so the number costs nothing until used. More cores: more
such processes on their own ports, all with the same TELEVISIT_REDIS_URL (the message queue), behind nginx.
Everything of config/gunicorn.py applies; the command line still overrides any setting here, but not `workers`.
"""

import os

from config.gunicorn import *  # noqa: F403  (the shared settings and hooks)
from config.gunicorn import on_starting as _shared_on_starting

wsgi_app = "wsgi:app"
worker_class = "gthread"
workers = 1
threads = int(os.environ.get("TELEVISIT_SOCKET_THREADS") or 6000)
worker_connections = threads
bind = os.environ.get("TELEVISIT_SOCKET_BIND") or "127.0.0.1:8001"
# A WebSocket is one long request: the worker's heartbeat to the master runs in its own loop, so `timeout` still
# catches a stuck process without cutting sockets. With thousands of busy sockets (four threads each, one GIL) that
# loop can starve past it and the master kills the worker with its sockets (docs/benchmarks.md, "Waiting room
# across the stack"); a higher timeout would only hide the starvation.
timeout = 30
# On SIGTERM open WebSockets never finish by themselves: give the process a short while, then its patients'
# pages reconnect (to the other process: nginx moves them) and check in again, keeping their places.
graceful_timeout = 10
forwarded_allow_ips = "127.0.0.1,::1"


def on_starting(server) -> None:
    """Refuse more than one worker (a Socket.IO session would be split between them), then the shared hook."""
    if server.cfg.workers != 1:
        raise SystemExit(
            f"config/gunicorn_socket.py: a socket process runs exactly one worker, not {server.cfg.workers}"
        )
    _shared_on_starting(server)
