"""Issue 12, items 10 and 16: the waiting-room socket on a live server, with real Socket.IO clients.

Item 10: a client cannot run the server's own connect/disconnect handlers by sending events with reserved
names; chat messages are throttled per socket; control and text-direction characters are refused.
Item 16: the clinic sees a patient as connected while ANY of their sockets is (several tabs, a reopened
join link, a reconnection), and hears every change within a second or two.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import pytest

from tests.support.waiting_world import live_server, world

PROMPT = 2.5  # seconds: "the clinic's view updates within a second or two of each change"
LIMIT, WINDOW = 5, 3  # this module's live servers allow 5 chat messages per socket per 3 s
RESERVED = ("connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request):
    """One live server per database, with a short chat window so the test can see it reopen."""
    env = {"TELEVISIT_WAITING_MESSAGE_LIMIT": f"{LIMIT} per {WINDOW} seconds"}
    with live_server(request.param, extra_env=env) as servers:
        yield servers[0]


@pytest.fixture
def w(live):
    yield from world(live)


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


class ServerLog:
    """What the live server prints from now on (to prove no traceback was logged)."""

    def __init__(self, server):
        self.path = Path(server.log_path)
        self.start = self.path.stat().st_size

    def since(self) -> str:
        with self.path.open("rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace")


def _checked_in(w, who: str, hhmm: str = "09:10"):
    appointment_id = w.book(who, hhmm)
    peer = w.peer(who)
    assert peer.call("check_in", {"appointment_id": appointment_id})["ok"] is True
    return appointment_id, peer


def _clinic(w):
    clinic = w.peer("doc")
    assert clinic.call("join_clinic", {})["ok"] is True
    return clinic


# --- item 10: reserved event names ------------------------------------------------------------------------


def test_reserved_event_names_sent_by_a_client_run_nothing_and_log_no_traceback(w):
    a, ada = _checked_in(w, "ada")
    clinic = _clinic(w)
    log = ServerLog(w.server)
    mark = clinic.mark()
    for name in RESERVED:
        for payload in (None, {"token": "x"}, "transport close"):
            ack = ada.call(name, payload, timeout=5)  # before: `connect` never answered (its handler raised)
            assert _code(ack) == "invalid", (name, payload)
            assert "reserved" in ack["error"]["fields"]["event"]
    ada.sio.emit("disconnect", namespace="/waiting-room")  # no ack asked for: ignored all the same
    ada.sio.emit("connect", {"join": "forged"}, namespace="/waiting-room")

    assert ada.sio.connected
    again = ada.call("check_in", {"appointment_id": a})  # still known to the server as Ada
    assert again["ok"] is True and again["queue"]["position"] == 1
    fresh = w.peer("doc").call("join_clinic", {})["waiting_list"]["patients"]
    assert [(p["appointment_id"], p["connected"]) for p in fresh] == [(a, True)]  # her presence was not dropped
    assert all(p["connected"] for d in clinic.got("waiting_list", since=mark) for p in d["patients"])
    time.sleep(0.3)
    printed = log.since()
    assert "Traceback" not in printed and "ConnectionRefusedError" not in printed, printed[-3000:]


# --- item 10: chat throttle -------------------------------------------------------------------------------


def test_chat_messages_are_rate_limited_per_socket_and_nothing_over_the_limit_is_stored_or_sent(w):
    a, ada = _checked_in(w, "ada")
    clinic = _clinic(w)
    acks = [ada.call("message", {"appointment_id": a, "text": f"hello {i}"}) for i in range(20)]
    assert all(ack["ok"] for ack in acks[:LIMIT]), acks[:LIMIT]
    for ack in acks[LIMIT:]:
        assert _code(ack) == "rate_limited"
        assert "too quickly" in ack["error"]["message"] and ack["error"]["retry_after"] >= 1
    time.sleep(0.5)
    assert [m["text"] for m in clinic.got("patient_message")] == [f"hello {i}" for i in range(LIMIT)]

    tab = w.peer("ada")  # the limit is per socket: another tab may still write
    assert tab.call("message", {"appointment_id": a, "text": "from my other tab"})["ok"] is True

    replies = [clinic.call("send_message", {"appointment_id": a, "text": f"reply {i}"}) for i in range(LIMIT + 3)]
    assert [r["ok"] for r in replies] == [True] * LIMIT + [False] * 3
    assert {_code(r) for r in replies[LIMIT:]} == {"rate_limited"}

    history = ada.call("check_in", {"appointment_id": a})["messages"]
    assert [m["text"] for m in history] == [
        *(f"hello {i}" for i in range(LIMIT)),
        "from my other tab",
        *(f"reply {i}" for i in range(LIMIT)),
    ]
    time.sleep(WINDOW + 0.2)  # the window has passed: writing works again
    assert ada.call("message", {"appointment_id": a, "text": "still here"})["ok"] is True

    flood, mark, began = w.peer("ada"), clinic.mark(), time.monotonic()  # 300 at once, no acks (the review's)
    for i in range(300):
        flood.sio.emit("message", {"appointment_id": a, "text": f"flood {i}"}, namespace="/waiting-room")
    assert flood.call("check_in", {"appointment_id": a})["ok"] is True  # still served
    time.sleep(1)
    windows = 1 + int((time.monotonic() - began) // WINDOW)  # a slow machine may span more than one window
    got = [m for m in clinic.got("patient_message", since=mark) if m["text"].startswith("flood")]
    assert LIMIT <= len(got) <= LIMIT * windows < 300


# --- item 10: control and text-direction characters --------------------------------------------------------

REFUSED = {
    "NUL": "hi\x00there",
    "escape (C0)": "hi\x1b[31mred",
    "bell (C0)": "ring\x07",
    "lone carriage return": "over\rwrite",
    "DEL": "del\x7f",
    "C1 next line": "a\x85b",
    "C1 CSI": "a\x9bb",
    "right-to-left override": "invoice\u202egnp.exe",
    "left-to-right embedding": "a\u202ab",
    "pop directional formatting": "a\u202cb",
    "first strong isolate": "a\u2068b",
    "pop directional isolate": "a\u2069b",
    "left-to-right mark": "a\u200eb",
    "right-to-left mark": "a\u200fb",
    "arabic letter mark": "a\u061cb",
}


def test_control_and_bidi_characters_are_refused_with_a_clear_error(w):
    a, ada = _checked_in(w, "ada")
    clinic = _clinic(w)
    for label, text in REFUSED.items():
        for who, event in (("ada", "message"), ("doc", "send_message")):
            ack = w.peer(who).call(event, {"appointment_id": a, "text": text})  # a fresh socket: never throttled
            assert _code(ack) == "invalid", (label, event, ack)
            assert "control" in ack["error"]["fields"]["text"], (label, ack)
            assert "character" in ack["error"]["message"].lower(), ack
    time.sleep(0.3)
    assert clinic.got("patient_message") == [] and ada.got("clinic_message") == []
    assert ada.call("check_in", {"appointment_id": a})["messages"] == []

    multi = "Line one\nline two\twith a tab, and \u00e9\u4e2d\u0639\u0631\u0628\u064a \U0001f600"
    sent = ada.call("message", {"appointment_id": a, "text": multi})
    assert sent["ok"] is True
    assert clinic.wait("patient_message")["text"] == multi  # newlines, tabs and any script stay as written
    windows = ada.call("message", {"appointment_id": a, "text": "first\r\nsecond"})
    assert windows["ok"] is True
    assert clinic.wait("patient_message", lambda m: m["text"].startswith("first"))["text"] == "first\nsecond"


# --- item 16: presence across tabs, reopened links and reconnections ---------------------------------------


def _in_visit(connected: bool):
    return lambda d: d["in_visit"] is not None and d["in_visit"]["connected"] is connected


def _waiting(appointment_id: int, connected: bool):
    return lambda d: any(p["appointment_id"] == appointment_id and p["connected"] is connected for p in d["patients"])


def _fresh_list(w) -> dict:
    """The clinic's list as a dashboard opened now reads it."""
    return w.peer("doc").call("join_clinic", {})["waiting_list"]


def _drop(peer) -> None:
    """The network goes: the TCP connection dies without a Socket.IO goodbye (the server finds out by itself)."""
    with contextlib.suppress(OSError):
        peer.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    deadline = time.monotonic() + 10
    while peer.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)


def _admitted_on(w, a: int, tab):
    """The clinic admits the patient; their tab opens the visit (the page's `join_visit`)."""
    clinic = _clinic(w)
    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    tab.wait("admitted")
    assert tab.call("join_visit", {"appointment_id": a})["role"] == "patient"
    assert clinic.call("join_visit", {"appointment_id": a})["role"] == "clinician"
    clinic.wait("waiting_list", _in_visit(True))
    return clinic


def test_reopening_the_join_link_during_the_visit_and_closing_the_first_tab_keeps_the_patient_connected(w):
    a = w.book("ada", "09:10")
    first = w.join_peer(a)
    assert first.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True})["ok"] is True
    assert first.call("check_in", {"appointment_id": a})["ok"] is True
    clinic = _admitted_on(w, a, first)

    second = w.join_peer(a)  # the reminder's link again, in a new tab: the page opens straight into the visit
    assert second.call("join_visit", {"appointment_id": a})["role"] == "patient"
    assert _fresh_list(w)["in_visit"]["connected"] is True

    mark = clinic.mark()
    first.close()
    assert clinic.wait("waiting_list", _in_visit(True), since=mark, timeout=PROMPT)  # told, and told right
    time.sleep(0.5)
    assert all(_in_visit(True)(d) for d in clinic.got("waiting_list", since=mark))
    assert _fresh_list(w)["in_visit"]["connected"] is True

    mark = clinic.mark()
    second.close()  # now they really are gone
    assert clinic.wait("waiting_list", _in_visit(False), since=mark, timeout=PROMPT)
    assert _fresh_list(w)["in_visit"]["connected"] is False

    mark = clinic.mark()
    third = w.join_peer(a)
    assert third.call("join_visit", {"appointment_id": a})["ok"] is True
    assert clinic.wait("waiting_list", _in_visit(True), since=mark, timeout=PROMPT)
    assert clinic.call("end_visit", {"appointment_id": a})["ok"] is True
    assert third.wait("visit_ended")["status"] == "completed"  # the new tab is in the visit's rooms


def test_a_reconnection_during_the_visit_is_seen_whichever_socket_the_server_hears_of_first(w):
    a, ada = _checked_in(w, "ada")
    clinic = _admitted_on(w, a, ada)

    # The network drops and the server notices first: the clinic sees it, then sees the patient back.
    mark = clinic.mark()
    _drop(ada)
    assert clinic.wait("waiting_list", _in_visit(False), since=mark, timeout=PROMPT + 5)
    mark = clinic.mark()
    back = w.peer("ada")  # the page reconnects on a new socket and rejoins the visit
    assert back.call("join_visit", {"appointment_id": a})["ok"] is True
    assert clinic.wait("waiting_list", _in_visit(True), since=mark, timeout=PROMPT)

    # The page is back on a new socket before the server hears that the old one died.
    newer = w.peer("ada")
    assert newer.call("join_visit", {"appointment_id": a})["ok"] is True
    mark = clinic.mark()
    _drop(back)
    assert clinic.wait("waiting_list", _in_visit(True), since=mark, timeout=PROMPT + 5)
    time.sleep(0.5)
    assert all(_in_visit(True)(d) for d in clinic.got("waiting_list", since=mark))
    assert _fresh_list(w)["in_visit"]["connected"] is True


def test_several_tabs_while_waiting_and_then_in_the_visit(w):
    a, tab1 = _checked_in(w, "ada")
    tab2 = w.peer("ada")
    assert tab2.call("check_in", {"appointment_id": a})["ok"] is True
    clinic = _clinic(w)

    mark = clinic.mark()
    tab1.close()  # one tab of two: still connected while waiting
    assert clinic.wait("waiting_list", _waiting(a, True), since=mark, timeout=PROMPT)
    time.sleep(0.5)
    assert all(_waiting(a, True)(d) for d in clinic.got("waiting_list", since=mark))
    tab3 = w.peer("ada")  # reconnected in a third tab, then checked in again (the page does both)
    assert tab3.call("check_in", {"appointment_id": a})["ok"] is True

    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    for tab in (tab2, tab3):
        tab.wait("admitted")
    assert tab3.call("join_visit", {"appointment_id": a})["ok"] is True  # the tab in front opens the video
    mark = clinic.mark()
    tab3.close()  # the other tab is still open on the visit page
    assert clinic.wait("waiting_list", _in_visit(True), since=mark, timeout=PROMPT)
    assert _fresh_list(w)["in_visit"]["connected"] is True
    mark = clinic.mark()
    tab2.close()
    assert clinic.wait("waiting_list", _in_visit(False), since=mark, timeout=PROMPT)
