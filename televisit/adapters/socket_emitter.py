"""Send waiting-room events: through the app's Socket.IO server in a web process, or through Redis from jobs.

Services return `Emit(event, data, room, skip_sid)` values instead of emitting; whoever committed the
transaction hands them to one of these emitters.

Redis pub/sub keeps nothing, so an event published while it is down is lost. After one is lost, the pages are
told `resync` (docs/waiting-room.md, "When Redis is down"): they fetch the whole state again, as after a
reconnection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Protocol

import redis
import socketio
from flask import Flask, current_app
from flask_socketio import SocketIO

NAMESPACE = "/waiting-room"
_JOBS_KEY = "televisit.jobs_socket_emitter"
PUBLISH_TIMEOUT = 1.0  # seconds
RETRY_CAP = 2  # seconds between the listener's attempts to subscribe again (python-socketio's: up to 60)
RESYNC = "resync"  # the event that asks a page to fetch its whole state again

log = logging.getLogger(__name__)


class TimelyRedisManager(socketio.RedisManager):
    """The Redis message queue, publishing with a short socket timeout, and telling pages to resync after an outage.

    A Redis that hangs (rather than refusing connections) would otherwise hang every handler that emits,
    after its change is committed but before it acks. Only publishing gets the timeout: the listener
    blocks on purpose while no message comes, and a timeout there would make it reconnect over and over.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lost = False  # a publish gave up since the last one that worked

    def _redis_connect(self):
        super()._redis_connect()  # the listener's client (self.pubsub comes from it)
        options = {**self.redis_options, "socket_timeout": PUBLISH_TIMEOUT, "socket_connect_timeout": PUBLISH_TIMEOUT}
        self.redis = redis.Redis.from_url(self.redis_url, **options)

    def _publish(self, data):
        """Publish; after a publish that gave up (an event lost), the next one that succeeds asks every page to resync.

        This covers a blip the listeners never noticed (a Redis that froze for a moment): every process's pages,
        this one's too, hear `resync` once the queue takes messages again.
        """
        sent = super()._publish(data)  # the number of subscribers, or None when it gave up (logged)
        if sent is None:
            self.lost = True
        elif self.lost:
            self.lost = False
            log.info("message queue: publishing works again after an event was lost; every page is asked to resync")
            self.emit(RESYNC, {}, namespace=NAMESPACE)  # here and, through Redis, on every other process
        return sent

    def _redis_listen_with_retries(self):  # pragma: no cover - driven by tests/integration/test_faults_redis.py
        """python-socketio 5.18.1's listener loop with two changes: the wait between attempts stops at RETRY_CAP
        seconds, and subscribing again after a failure asks this process's pages to resync (events published
        meanwhile were lost: pub/sub keeps nothing)."""
        retry_sleep = 1
        subscribed = False  # as in the library, never set: listen() ends only by raising
        failed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    retry_sleep = 1
                    if failed:
                        failed = False
                        self._resync_here()
                yield from self.pubsub.listen()
            except Exception as exc:
                self._get_logger().error(
                    f"Cannot receive from redis... retrying in {retry_sleep} secs", extra={"redis_exception": str(exc)}
                )
                subscribed = False
                failed = True
                time.sleep(retry_sleep)
                retry_sleep = next_wait(retry_sleep)

    def _resync_here(self) -> None:
        """Tell every socket of this process on the waiting-room namespace to resync (not through Redis)."""
        sockets = sum(1 for _ in self.get_participants(NAMESPACE, None))
        log.info("message queue: subscribed again after an outage; %d sockets here asked to resync", sockets)
        self.emit(RESYNC, {}, namespace=NAMESPACE, ignore_queue=True)


def next_wait(seconds: float) -> float:
    """The listener's next wait before subscribing again: doubling, up to RETRY_CAP."""
    return min(seconds * 2, RETRY_CAP)


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
