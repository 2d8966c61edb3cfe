"""The video visit on a live server: both sides join `visit:<id>` and the server relays WebRTC signalling."""

from __future__ import annotations


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


def _open_visit(w):
    a = w.book("ada", "09:10")
    ada, doc = w.peer("ada"), w.peer("doc")
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    assert _code(ada.call("join_visit", {"appointment_id": a})) == "conflict"  # not admitted yet
    assert doc.call("admit", {"appointment_id": a})["ok"] is True
    ada.wait("admitted")
    return a, ada, doc


def test_signalling_is_relayed_to_the_other_side_only(w):
    a, ada, doc = _open_visit(w)
    assert ada.call("join_visit", {"appointment_id": a}) == {"ok": True, "role": "patient", "ice_servers": []}
    assert doc.call("join_visit", {"appointment_id": a}) == {"ok": True, "role": "clinician", "ice_servers": []}

    assert ada.call("signal", {"appointment_id": a, "kind": "ready"}) == {"ok": True}
    ready = doc.wait("signal")
    assert ready == {"appointment_id": a, "kind": "ready", "data": None, "from": "patient"}

    offer = {"type": "offer", "sdp": "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n"}
    assert doc.call("signal", {"appointment_id": a, "kind": "offer", "data": offer})["ok"] is True
    assert ada.wait("signal", lambda d: d["kind"] == "offer") == {
        "appointment_id": a,
        "kind": "offer",
        "data": offer,
        "from": "clinician",
    }
    answer = {"type": "answer", "sdp": "v=0\r\n"}
    assert ada.call("signal", {"appointment_id": a, "kind": "answer", "data": answer})["ok"] is True
    assert doc.wait("signal", lambda d: d["kind"] == "answer")["data"] == answer
    for side, other, who in ((ada, doc, "patient"), (doc, ada, "clinician")):
        cand = {"candidate": f"candidate:1 1 udp 2122260223 10.0.0.{len(who)} 5000 typ host", "sdpMid": "0"}
        assert side.call("signal", {"appointment_id": a, "kind": "candidate", "data": cand})["ok"] is True
        assert other.wait("signal", lambda d, c=cand: d["kind"] == "candidate" and d["data"] == c)["from"] == who

    assert [s["kind"] for s in ada.got("signal")] == ["offer", "candidate"]  # never her own signals back
    assert [s["kind"] for s in doc.got("signal")] == ["ready", "answer", "candidate"]


def test_a_separate_visit_socket_works_and_outsiders_are_kept_out(w):
    a, ada, doc = _open_visit(w)
    video = w.join_peer(a)  # e.g. the page's video connection, holding the join link
    assert video.call("join_visit", {"appointment_id": a})["role"] == "patient"
    assert doc.call("join_visit", {"appointment_id": a})["ok"] is True
    assert doc.call("signal", {"appointment_id": a, "kind": "offer", "data": {"sdp": "x"}})["ok"] is True
    assert video.wait("signal")["from"] == "clinician"
    for outsider in ("bob", "other"):
        peer = w.peer(outsider)
        assert _code(peer.call("join_visit", {"appointment_id": a})) == "not_found"
        assert _code(peer.call("signal", {"appointment_id": a, "kind": "ready"})) == "not_found"
    assert _code(w.peer("sched").call("join_visit", {"appointment_id": a})) == "forbidden"


def test_ending_the_visit_tells_both_sides_and_stops_the_relay(w):
    a, ada, doc = _open_visit(w)
    ada.call("join_visit", {"appointment_id": a})
    doc.call("join_visit", {"appointment_id": a})
    assert ada.call("signal", {"appointment_id": a, "kind": "hangup"})["ok"] is True
    assert doc.wait("signal", lambda d: d["kind"] == "hangup")
    assert doc.call("end_visit", {"appointment_id": a})["ok"] is True
    assert ada.wait("visit_ended") == {"appointment_id": a, "status": "completed"}
    assert doc.wait("visit_ended") == {"appointment_id": a, "status": "completed"}
    assert len(ada.got("visit_ended")) == 1  # in both of her rooms, told once
    assert _code(ada.call("signal", {"appointment_id": a, "kind": "ready"})) == "closed"
    assert _code(ada.call("join_visit", {"appointment_id": a})) == "closed"
    assert w.appointment(a)["status"] == "completed"
