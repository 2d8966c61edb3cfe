"""Send waiting-room events: through the app's Socket.IO server in a web process, or through Redis from jobs.

Services return `Emit(event, data, room, skip_sid)` values instead of emitting; whoever committed the
transaction hands them to one of these emitters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import redis
import socketio
from flask import Flask, current_app
from flask_socketio import SocketIO

NAMESPACE = "/waiting-room"
_JOBS_KEY = "televisit.jobs_socket_emitter"
PUBLISH_TIMEOUT = 1.0  # seconds


class TimelyRedisManager(socketio.RedisManager):
    """The Redis message queue, publishing with a short socket timeout.

    A Redis that hangs (rather than refusing connections) would otherwise hang every handler that emits,
    after its change is committed but before it acks. Only publishing gets the timeout: the listener
    blocks on purpose while no message comes, and a timeout there would make it reconnect over and over.
    """

    def _redis_connect(self):
        super()._redis_connect()  # the listener's client (self.pubsub comes from it)
        options = {**self.redis_options, "socket_timeout": PUBLISH_TIMEOUT, "socket_connect_timeout": PUBLISH_TIMEOUT}
        self.redis = redis.Redis.from_url(self.redis_url, **options)


def ping(url: str, *, timeout: float = PUBLISH_TIMEOUT) -> None:
    """The message queue's Redis answers a PING within `timeout` seconds (else redis' error is raised)."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def queue_options(url: str | None, channel: str, *, write_only: bool = False) -> dict:
    """Flask-SocketIO keyword arguments for the message queue at `url` (none without one)."""
    if not url:
        return {}
    return {"client_manager": TimelyRedisManager(url, channel=channel, write_only=write_only)}


class EmitLike(Protocol):
    """What the emitter reads from a service's Emit."""

    event: str
    data: dict
    room: str | list[str]
    skip_sid: str | None


class SocketEmitter:
    """Emits on the waiting-room namespace through one Flask-SocketIO instance."""

    def __init__(self, socketio: SocketIO):
        self.socketio = socketio

    def emit_all(self, emits: Iterable[EmitLike]) -> int:
        """Send each event to its room(s); returns how many were sent."""
        count = 0
        for e in emits:
            self.socketio.emit(e.event, e.data, to=e.room, namespace=NAMESPACE, skip_sid=e.skip_sid)
            count += 1
        return count


def web_emitter() -> SocketEmitter:
    """In a web process: the app's own server (it publishes through Redis itself when REDIS_URL is set)."""
    return SocketEmitter(current_app.extensions["socketio"])


def jobs_emitter(app: Flask) -> SocketEmitter:
    """For the jobs: a write-only Redis emitter when REDIS_URL is set, else the app's server (in-process jobs)."""
    url = app.config.get("REDIS_URL")
    if not url:
        return SocketEmitter(app.extensions["socketio"])
    if _JOBS_KEY not in app.extensions:
        # No app: Flask-SocketIO builds a write-only RedisManager on the channel the web processes read.
        channel = app.config.get("SOCKETIO_CHANNEL", "televisit")
        # (`message_queue` too: without an app, Flask-SocketIO builds its server only when it sees one.)
        app.extensions[_JOBS_KEY] = SocketEmitter(
            SocketIO(message_queue=url, **queue_options(url, channel, write_only=True))
        )
    return app.extensions[_JOBS_KEY]
