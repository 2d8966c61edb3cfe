"""televisit/web/gevent_sockets.py: under gevent two greenlets write to one client socket (engine.io's writer and
simple-websocket's reader); each frame must arrive whole and neither writer may be refused. A gevent socket pair
with small buffers plays a slow client (no monkey-patching needed: gevent's own sockets)."""

from __future__ import annotations

import socket

import gevent
import pytest
from gevent import socket as gsocket

from televisit.web.gevent_sockets import SerializedSocket, serialize_websocket_writes

FRAME = 256 * 1024  # far above the send and receive buffers set below


def _pair():
    a, b = gsocket.socketpair()
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return a, b


def _write_two_frames_at_once(writer) -> tuple[bytes, list[BaseException]]:
    """Two greenlets each send one frame on `writer` while a slow reader drains the other end."""
    a, b = _pair()
    out = writer(a)
    errors: list[BaseException] = []

    def write(byte: bytes) -> None:
        try:
            out.send(byte * FRAME)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    def read() -> bytes:
        got = bytearray()
        while len(got) < 2 * FRAME:
            gevent.sleep(0.001)  # slow: the writers' buffers fill up
            chunk = b.recv(8192)
            if not chunk:
                break
            got += chunk
        return bytes(got)

    reader = gevent.spawn(read)
    writers = [gevent.spawn(write, b"A"), gevent.spawn(write, b"B")]
    gevent.joinall(writers, timeout=20)
    a.close()  # whatever was written is in the reader's queue; then it reads the end
    got = reader.get(timeout=20)
    b.close()
    return got, errors


def test_two_greenlets_writing_a_raw_gevent_socket_clash():
    """Without the wrapper (as simple-websocket writes): a partial frame or a refused writer (the bug it fixes)."""
    got, errors = _write_two_frames_at_once(lambda s: s)
    assert errors or sorted((got[:FRAME], got[FRAME:])) != [b"A" * FRAME, b"B" * FRAME]


def test_each_frame_arrives_whole_and_neither_writer_is_refused():
    got, errors = _write_two_frames_at_once(SerializedSocket)
    assert errors == []
    assert sorted((got[:FRAME], got[FRAME:])) == [b"A" * FRAME, b"B" * FRAME]  # one after the other, whole


def test_only_websocket_upgrades_get_the_wrapper():
    seen = []
    app = serialize_websocket_writes(lambda environ, start: seen.append(environ["gunicorn.socket"]) or [])
    raw = object()
    app({"gunicorn.socket": raw, "HTTP_UPGRADE": "websocket"}, None)
    app({"gunicorn.socket": raw}, None)
    assert isinstance(seen[0], SerializedSocket) and seen[1] is raw


@pytest.mark.parametrize("name", ["fileno", "recv", "close"])
def test_everything_else_is_the_sockets_own(name):
    a, b = _pair()
    try:
        assert getattr(SerializedSocket(a), name) == getattr(a, name)
    finally:
        a.close()
        b.close()
