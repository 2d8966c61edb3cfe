"""Issue 12, item 5 on the waiting-room socket: a cookie-authenticated socket lives only as long as its page
session (idle timeout, absolute lifetime), through real Socket.IO clients against a live server.

The server's clock runs on from 09:05; the test ages the session's row in the shared database (the state the
server reads at each event), as 31 idle minutes or 12 hours since sign-in would leave it.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import requests
import socketio
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import User, UserSession
from tests.support.live_server import Peer


def _row(email: str) -> UserSession:
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.email == email)).one()
    stmt = select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())
    return db.session.scalars(stmt).first()


def _session_of(email: str) -> dict:
    """The newest page session of `email`, read fresh; no transaction is left open (SQLite's write lock)."""
    row = _row(email)
    seen = {c: getattr(row, c) for c in ("created_at", "last_seen_at", "ended_at", "end_reason")}
    db.session.commit()
    return seen


def _age(email: str, **fields) -> None:
    row = _row(email)
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.commit()


def _gone(peer: Peer, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while peer.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    return not peer.sio.connected


def _again(w, peer: Peer) -> dict:
    """Connect a new socket with the same cookie; it must be refused: the refusal."""
    copy = Peer(w.server.url, headers=peer.headers, name="copy")
    w.peers.append(copy)
    with pytest.raises(socketio.exceptions.ConnectionError):
        copy.connect()
    return copy.refusal


def test_a_socket_whose_session_went_idle_is_refused_on_its_next_event_and_closed(w):
    doc = w.cookie_peer("doc")
    assert doc.call("join_clinic", {})["ok"] is True
    now = w.server.clock_now()
    _age("doc@x.org", last_seen_at=now - timedelta(minutes=31))
    ack = doc.call("join_clinic", {})
    assert ack["ok"] is False and ack["error"]["code"] == "session_expired", ack
    assert "signed out after 30 minutes without activity" in ack["error"]["message"]
    assert _gone(doc), "the server disconnects the socket"
    refusal = _again(w, doc)
    assert refusal["data"]["code"] == "session_expired", refusal
    assert _session_of("doc@x.org")["end_reason"] == "idle"
    assert w.peer("doc").call("join_clinic", {})["ok"] is True  # a bearer token is its own credential


def test_a_socket_connect_past_the_session_lifetime_is_refused(w):
    doc = w.cookie_peer("doc")
    doc.close()
    _age("doc@x.org", created_at=w.server.clock_now() - timedelta(hours=12, minutes=1))
    refusal = _again(w, doc)
    assert refusal["data"]["code"] == "session_expired", refusal
    assert "more than 12 hours ago" in refusal["message"]


def test_socket_events_keep_the_page_session_alive(w):
    doc = w.cookie_peer("doc")
    idle_since = w.server.clock_now() - timedelta(minutes=25)
    _age("doc@x.org", last_seen_at=idle_since)
    assert doc.call("join_clinic", {})["ok"] is True  # activity, 25 minutes after the last
    assert _session_of("doc@x.org")["last_seen_at"] > idle_since + timedelta(minutes=20)
    assert doc.call("running_late", {"minutes": 5})["ok"] is True


def _sign_out(w, peer: Peer) -> None:
    """Sign out in the browser whose cookie the socket carries (its CSRF token from a page first)."""
    cookie = peer.headers["Cookie"]
    page = requests.get(f"{w.server.url}/login", headers={"Cookie": cookie}, timeout=10)
    if "session" in page.cookies:  # the page put its CSRF secret in the session
        cookie = f"session={page.cookies['session']}"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = requests.post(
        f"{w.server.url}/logout",
        data={"csrf_token": csrf},
        headers={"Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text[:300]


def test_signing_out_in_the_browser_ends_the_socket_too(w):
    doc = w.cookie_peer("doc")
    assert doc.call("join_clinic", {})["ok"] is True
    _sign_out(w, doc)
    ack = doc.call("join_clinic", {})
    assert ack["error"]["code"] == "session_expired" and "signed out" in ack["error"]["message"]
    assert _gone(doc)
