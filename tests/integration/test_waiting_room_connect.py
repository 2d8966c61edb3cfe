"""Connecting to /waiting-room on a live server: who gets in, and bad input never breaks the connection."""

from __future__ import annotations

import pytest
import socketio

from tests.support.waiting_world import World


def _refused(w: World, peer) -> dict:
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer.connect()
    assert isinstance(peer.refusal, dict), peer.refusal
    return peer.refusal


def test_a_connection_without_credentials_is_refused(w):
    from tests.support.live_server import Peer

    for auth in (None, {}, {"other": 1}, "token", {"token": None}):
        peer = Peer(w.server.url, auth=auth)
        w.peers.append(peer)
        refusal = _refused(w, peer)
        assert refusal["data"]["code"] == "unauthorized", (auth, refusal)


def test_a_bad_or_revoked_token_is_refused(w):
    from tests.support.live_server import Peer

    bad = Peer(w.server.url, auth={"token": "not-a-token"})
    w.peers.append(bad)
    assert _refused(w, bad)["data"]["code"] == "unauthorized"
    token = w.token("ada")
    assert w.server.api("DELETE", "/auth/token", token).status_code in (200, 204)
    assert _refused(w, w.peer("ada", connect=False))["data"]["code"] == "unauthorized"


def test_token_join_link_and_session_cookie_each_connect(w):
    appt = w.book("ada", "09:30")
    assert w.peer("ada").sio.connected
    assert w.join_peer(appt).sio.connected
    assert w.cookie_peer("doc").sio.connected


def test_join_links_of_a_moved_or_cancelled_visit_or_a_forged_one_are_refused(w):
    moved, cancelled = w.book("ada", "09:30"), w.book("bob", "09:40")
    old = w.join_token(moved)
    move = {"start": "2027-03-01T10:20:00-05:00"}
    r = w.server.api("POST", f"/appointments/{moved}/reschedule", w.token("sched"), json=move)
    assert r.status_code == 200 and r.json()["sequence"] == 1, r.text
    assert _refused(w, w.join_peer(moved, token=old, connect=False))["data"]["code"] == "forbidden"
    assert w.join_peer(moved).sio.connected  # the newest link works
    token = w.join_token(cancelled)
    assert w.server.api("POST", f"/appointments/{cancelled}/cancel", w.token("sched"), json={}).status_code == 200
    assert _refused(w, w.join_peer(cancelled, token=token, connect=False))["data"]["code"] == "cancelled"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert _refused(w, w.join_peer(cancelled, token=forged, connect=False))["data"]["code"] == "forbidden"


def test_a_join_link_acts_on_its_own_appointment_only(w):
    mine, other = w.book("ada", "09:30"), w.book("ada", "09:40")
    peer = w.join_peer(mine)
    assert peer.call("check_in", {"appointment_id": mine})["ok"] is True
    refused = peer.call("check_in", {"appointment_id": other})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert peer.call("join_clinic", {})["error"]["code"] == "forbidden"


APPT = object()  # stands for the booked visit's id in the cases below
BAD = [
    ("check_in", "not an object", "invalid"),
    ("check_in", [1, 2], "invalid"),
    ("check_in", None, "invalid"),
    ("check_in", {}, "invalid"),
    ("check_in", {"appointment_id": "1"}, "invalid"),
    ("check_in", {"appointment_id": True}, "invalid"),
    ("check_in", {"appointment_id": 0}, "invalid"),
    ("check_in", {"appointment_id": -3}, "invalid"),
    ("check_in", {"appointment_id": 1.5}, "invalid"),
    ("check_in", {"appointment_id": 10**30}, "invalid"),
    ("check_in", {"appointment_id": 999999}, "not_found"),
    ("check_in", {"appointment_id": APPT, "region": ["US-OH"]}, "invalid"),
    ("precheck", {"appointment_id": APPT, "region": "Ohio", "consent": True}, "invalid"),
    ("precheck", {"appointment_id": APPT, "region": "US-OH", "consent": "yes"}, "invalid"),
    ("precheck", {"appointment_id": APPT}, "invalid"),
    ("message", {"appointment_id": APPT, "text": ""}, "invalid"),
    ("message", {"appointment_id": APPT, "text": "   "}, "invalid"),
    ("message", {"appointment_id": APPT, "text": "x" * 501}, "invalid"),
    ("message", {"appointment_id": APPT, "text": 42}, "invalid"),
    ("running_late", {"minutes": 5}, "forbidden"),
    ("admit", {"appointment_id": APPT}, "forbidden"),
    ("end_visit", {"appointment_id": APPT}, "forbidden"),
    ("no_show", {"appointment_id": APPT}, "forbidden"),
    ("send_message", {"appointment_id": APPT, "text": "hi"}, "forbidden"),
    ("join_clinic", {}, "forbidden"),
    ("join_visit", {"appointment_id": APPT}, "conflict"),  # not admitted yet
    ("signal", {"appointment_id": APPT, "kind": "bogus"}, "invalid"),
    ("signal", {"appointment_id": APPT, "kind": "offer", "data": "x" * 70_000}, "invalid"),
    ("no_such_event", {}, "invalid"),
]


def test_bad_payloads_and_refusals_get_error_acks_and_the_socket_stays_usable(w):
    appt = w.book("ada", "09:30")
    peer = w.peer("ada")
    assert peer.call("check_in", {"appointment_id": appt})["ok"] is True
    for event, data, code in BAD:
        if isinstance(data, dict):
            data = {k: appt if v is APPT else v for k, v in data.items()}
        ack = peer.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, data, ack)
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    assert peer.call("check_in", {"appointment_id": appt})["ok"] is True  # still connected and served
    assert w.server.proc.poll() is None and "Traceback" not in w.server.output()


def test_a_handler_leaves_no_transaction_open(w):
    """Reads through the socket must not keep the database busy: a write from here goes straight through."""
    from televisit.extensions import db
    from televisit.models import Appointment

    appt = w.book("ada", "09:30")
    peer = w.peer("ada")
    for _ in range(3):
        assert peer.call("check_in", {"appointment_id": appt})["ok"] is True
        assert peer.call("check_in", {"appointment_id": 424242})["ok"] is False
    row = db.session.get(Appointment, appt)
    row.reason = "written while the server is idle"
    db.session.commit()  # on SQLite this needs the write lock: an open server transaction would block it
