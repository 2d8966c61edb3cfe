"""WebSockets under gevent (the socket processes, config/gunicorn_socket.py): each one's writes whole and one at a time.

simple-websocket (Flask-SocketIO's WebSocket without gevent-websocket) writes to the client's socket from two
places: engine.io's writer (every event) and the WebSocket's reader (pongs, the close frame). It calls `send`, not
`sendall`. With threads and a blocking socket both are harmless: the kernel queues a whole frame and two threads may
wait on one socket. Under gevent a slow client fills its send buffer and then (1) `send` writes only part of a
frame, the rest is lost and the stream corrupt, and (2) a second greenlet waiting to write on the same socket is
refused (`ConcurrentObjectUseError`), which kills the reader and drops the socket. Seen in bench/ws_stack_bench.py
when the survivor of a kill -9 took its patients (docs/benchmarks.md, "Waiting room across the stack").

`serialize_websocket_writes` wraps the app so that the socket a WebSocket request hands to simple-websocket
(gunicorn's `gunicorn.socket`) writes every frame whole (`sendall`), one greenlet at a time; everything else is the
socket's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class SerializedSocket:
    """A socket whose `send` writes all of its data, under a lock, so two greenlets never write at once."""

    def __init__(self, sock):
        from gevent.lock import Semaphore

        self._sock = sock
        self._writing = Semaphore()

    def send(self, data, flags: int = 0) -> int:
        with self._writing:
            self._sock.sendall(data, flags)
        return len(data)

    sendall = send

    def __getattr__(self, name: str):
        return getattr(self._sock, name)  # recv, fileno (the reader's selector), close, ...


def serialize_websocket_writes(app: WSGIApp) -> WSGIApp:
    """Wrap `app` (outside Flask-SocketIO's middleware): WebSocket upgrades get a SerializedSocket."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if sock is not None and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ["gunicorn.socket"] = SerializedSocket(sock)
        return app(environ, start_response)

    return wrapped
