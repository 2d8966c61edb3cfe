"""A joint video visit on a live server (SQLite and PostgreSQL), with real Socket.IO clients: the patient and
both attending clinicians (a neurosurgeon and a radiation oncologist) in one call, signalling relayed between
each pair of participants only, outsiders kept out, and any attending clinician ending it for all."""

from __future__ import annotations

import time

import pytest

from tests.support.joint_world import Team, add_team, book, book_joint

QUIET = 0.5  # seconds to wait for an event that must NOT come


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


@pytest.fixture
def team(w) -> Team:
    return add_team(w)


def _ids(listing: dict) -> list[int]:
    return [p["appointment_id"] for p in listing["patients"]]


def _clinics(w):
    neuro, rad = w.peer("neuro"), w.peer("rad")
    for peer in (neuro, rad):
        assert peer.call("join_clinic", {})["ok"] is True
    return neuro, rad


def _checked_in(w, team, who="ada", hhmm="09:30"):
    a = book_joint(w, team, who, hhmm)
    patient = w.peer(who)
    assert patient.call("check_in", {"appointment_id": a})["ok"] is True
    return a, patient


def _open(w, team):
    """A joint visit opened by Dr. Neuro, all three joined to the call."""
    neuro, rad = _clinics(w)
    a, ada = _checked_in(w, team)
    assert neuro.call("admit", {"appointment_id": a})["ok"] is True
    ada.wait("admitted")
    acks = {
        name: peer.call("join_visit", {"appointment_id": a})
        for name, peer in (("ada", ada), ("neuro", neuro), ("rad", rad))
    }
    return a, ada, neuro, rad, acks


def test_both_clinicians_see_the_checked_in_patient_and_her_connection(w, team):
    neuro, rad = _clinics(w)
    doc = w.peer("doc")
    assert doc.call("join_clinic", {})["ok"] is True
    a, ada = _checked_in(w, team)
    for clinic in (neuro, rad):
        listing = clinic.wait("waiting_list", lambda d: d["patients"])
        assert _ids(listing) == [a]
        item = listing["patients"][0]
        assert item["connected"] is True and item["name"] == "Ada" and item["status"] == "checked_in"
        assert item["clinician_ids"] == [team.neuro, team.rad] and item["licensed"] is True
    assert ada.wait("queue")["position"] == 1
    assert _ids(doc.call("join_clinic", {})["waiting_list"]) == []  # not his visit

    # the patient's real connection state reaches both: gone, then back on a new socket
    marks = {c: c.mark() for c in (neuro, rad)}
    ada.close()
    for clinic in (neuro, rad):
        gone = clinic.wait(
            "waiting_list", lambda d: d["patients"] and not d["patients"][0]["connected"], since=marks[clinic]
        )
        assert _ids(gone) == [a]
    marks = {c: c.mark() for c in (neuro, rad)}
    ada.reconnect()
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    for clinic in (neuro, rad):
        assert clinic.wait(
            "waiting_list", lambda d: d["patients"] and d["patients"][0]["connected"], since=marks[clinic]
        )

    # her messages reach both clinics; either clinician may write to her
    assert ada.call("message", {"appointment_id": a, "text": "Ready when you are"})["ok"] is True
    for clinic in (neuro, rad):
        assert clinic.wait("patient_message")["text"] == "Ready when you are"
    assert rad.call("send_message", {"appointment_id": a, "text": "Two of us will see you"})["ok"] is True
    assert ada.wait("clinic_message")["text"] == "Two of us will see you"

    # her place is in the lead's line: only his lateness moves her wait
    mark = ada.mark()
    assert rad.call("running_late", {"minutes": 20})["ok"] is True
    assert neuro.call("running_late", {"minutes": 5})["ok"] is True
    late = ada.wait("queue", lambda d: d["late_minutes"] == 5, since=mark)
    assert late["position"] == 1
    assert all(q["late_minutes"] == 5 for q in ada.got("queue", since=mark))


def test_the_second_clinicians_admit_joins_the_running_visit(w, team):
    neuro, rad = _clinics(w)
    a, ada = _checked_in(w, team)
    first = neuro.call("admit", {"appointment_id": a})
    assert first == {"ok": True, "appointment_id": a, "visit_url": f"{w.server.url}/waiting-room/{a}?view=visit"}
    ada.wait("admitted")
    opened = w.appointment(a)
    assert opened["status"] == "in_visit"
    listing = rad.wait("waiting_list", lambda d: d["in_visit"] is not None)  # the colleague's list shows it running
    assert listing["in_visit"]["appointment_id"] == a and listing["patients"] == []
    assert rad.wait("clinician_status", lambda d: d == {"status": "in_visit"})

    mark = ada.mark()
    assert rad.call("admit", {"appointment_id": a}) == first  # joins: the same visit, nothing changes
    assert w.appointment(a)["admitted_at"] == opened["admitted_at"]
    assert w.appointment(a)["status"] == "in_visit"
    assert rad.call("join_visit", {"appointment_id": a})["ok"] is True
    time.sleep(QUIET)
    assert ada.got("admitted", since=mark) == []  # not let in twice
    assert neuro.call("admit", {"appointment_id": a})["ok"] is True  # the same for the one who opened it


def test_a_clinician_busy_elsewhere_sees_the_joint_visit_begin_and_joins_after(w, team):
    neuro, rad = _clinics(w)
    own = book(w, team.single, team.rad, "bob", "09:10")["id"]
    bob = w.peer("bob")
    assert bob.call("check_in", {"appointment_id": own})["ok"] is True
    assert rad.call("admit", {"appointment_id": own})["ok"] is True
    a, ada = _checked_in(w, team)
    mark = rad.mark()
    assert neuro.call("admit", {"appointment_id": a})["ok"] is True  # Dr. Rad is busy; the lead begins anyway
    listing = rad.wait("waiting_list", lambda d: d["other_visits"], since=mark)
    assert listing["in_visit"]["appointment_id"] == own  # the visit she is in stays hers to end
    assert [v["appointment_id"] for v in listing["other_visits"]] == [a]
    assert rad.call("admit", {"appointment_id": a})["ok"] is True  # she may join it now, or end hers first
    mark = rad.mark()
    assert rad.call("end_visit", {"appointment_id": own})["ok"] is True
    after = rad.wait("waiting_list", lambda d: d["in_visit"] and d["in_visit"]["appointment_id"] == a, since=mark)
    assert after["other_visits"] == []
    assert w.appointment(a)["status"] == "in_visit"


def test_each_clinician_is_held_to_their_own_licences(w, team):
    neuro, rad = _clinics(w)
    a = book_joint(w, team, "ada", "09:30")
    ada = w.peer("ada")
    ack = ada.call("precheck", {"appointment_id": a, "region": "US-FL", "consent": True})  # Dr. Rad: Ohio only
    assert ack["ok"] is True and ack["licensed"] is False
    assert ack["message"] == "One of your clinicians is not licensed to see you by video in US-FL."
    assert rad.wait("alert")["region"] == "US-FL"
    assert ada.call("check_in", {"appointment_id": a})["licensed"] is False
    mine = {c: c.wait("waiting_list", lambda d: d["patients"])["patients"][0]["licensed"] for c in (neuro, rad)}
    assert mine == {neuro: True, rad: False}
    assert neuro.got("alert") == []
    assert _code(rad.call("admit", {"appointment_id": a})) == "not_licensed"
    assert neuro.call("admit", {"appointment_id": a})["ok"] is True
    assert neuro.call("join_visit", {"appointment_id": a})["ok"] is True
    assert _code(rad.call("admit", {"appointment_id": a})) == "not_licensed"  # nor join the running visit
    assert _code(rad.call("join_visit", {"appointment_id": a})) == "not_licensed"


def test_signals_go_only_to_the_addressed_participant(w, team):
    a, ada, neuro, rad, acks = _open(w, team)
    me = {"ada": "patient", "neuro": f"clinician-{team.neuro}", "rad": f"clinician-{team.rad}"}
    roster = [
        {"id": "patient", "role": "patient", "name": "Ada"},
        {"id": me["neuro"], "role": "clinician", "name": "Dr. Neuro"},
        {"id": me["rad"], "role": "clinician", "name": "Dr. Rad"},
    ]
    for name, ack in acks.items():
        role = "patient" if name == "ada" else "clinician"
        assert ack == {
            "ok": True,
            "role": role,
            "ice_servers": [],
            "participant": me[name],
            "participants": roster,
            "max_participants": 8,
        }
    peers = {"ada": ada, "neuro": neuro, "rad": rad}
    marks = {name: p.mark() for name, p in peers.items()}

    # `ready` without `to` goes to everyone else, stamped with the sender's participant id
    assert ada.call("signal", {"appointment_id": a, "kind": "ready", "data": {"peer": "page-1"}}) == {"ok": True}
    for name in ("neuro", "rad"):
        got = peers[name].wait("signal", lambda d: d["kind"] == "ready", since=marks[name])
        assert got == {"appointment_id": a, "kind": "ready", "data": {"peer": "page-1"}, "from": "patient"}

    # each pair: an offer, its answer and candidates, seen by the addressed participant only
    pairs = [("neuro", "ada"), ("rad", "ada"), ("neuro", "rad")]
    for caller, callee in pairs:
        for kind, sender, receiver in (
            ("offer", caller, callee),
            ("answer", callee, caller),
            ("candidate", caller, callee),
        ):
            data = {"session": f"{caller}-{callee}", "sdp": f"{kind} from {sender}"}
            body = {"appointment_id": a, "kind": kind, "data": data, "to": me[receiver]}
            assert peers[sender].call("signal", body) == {"ok": True}
            got = peers[receiver].wait("signal", lambda d, x=data: d["data"] == x, since=marks[receiver])
            assert got == {"appointment_id": a, "kind": kind, "data": data, "from": me[sender], "to": me[receiver]}
    time.sleep(QUIET)
    for name, peer in peers.items():
        signals = peer.got("signal", since=marks[name])
        assert signals, name
        assert all(s.get("to", me[name]) == me[name] and s["from"] != me[name] for s in signals), (name, signals)
    heard = {
        name: sorted((s["from"], s["kind"]) for s in peers[name].got("signal", since=marks[name])) for name in peers
    }
    assert heard == {
        "ada": sorted(
            [(me["neuro"], "offer"), (me["neuro"], "candidate"), (me["rad"], "offer"), (me["rad"], "candidate")]
        ),
        "neuro": sorted([("patient", "ready"), ("patient", "answer"), (me["rad"], "answer")]),
        "rad": sorted(
            [("patient", "ready"), ("patient", "answer"), (me["neuro"], "offer"), (me["neuro"], "candidate")]
        ),
    }

    # no one can be addressed who is not in the call, nor oneself
    for to in (me["rad"], "clinician-999999", "clinician", "", 7, "x" * 500):
        ack = rad.call("signal", {"appointment_id": a, "kind": "offer", "data": {}, "to": to})
        assert _code(ack) == "invalid", to


def test_an_outsider_clinician_and_other_people_are_refused(w, team):
    a, ada, neuro, rad, acks = _open(w, team)
    assert all(ack["ok"] for ack in acks.values()), acks  # both clinicians of the visit may, as the patient
    for outsider in ("doc", "other", "bob"):
        peer = w.peer(outsider)
        for event, body in (
            ("join_visit", {"appointment_id": a}),
            ("signal", {"appointment_id": a, "kind": "ready", "data": {"peer": "x"}}),
            ("signal", {"appointment_id": a, "kind": "offer", "data": {}, "to": "patient"}),
            ("admit", {"appointment_id": a}),
            ("end_visit", {"appointment_id": a}),
            ("send_message", {"appointment_id": a, "text": "hello"}),
        ):
            assert _code(peer.call(event, body)) == "not_found", (outsider, event)
    sched = w.peer("sched")
    assert _code(sched.call("join_visit", {"appointment_id": a})) == "forbidden"
    assert _code(sched.call("signal", {"appointment_id": a, "kind": "ready", "to": "patient"})) == "forbidden"
    assert _code(ada.call("end_visit", {"appointment_id": a})) == "forbidden"
    time.sleep(QUIET)
    assert not [s for s in ada.got("signal") if s["data"] == {"peer": "x"}]  # nothing an outsider sent got through
    assert w.appointment(a)["status"] == "in_visit"


def test_the_second_clinician_ends_it_for_everyone(w, team):
    a, ada, neuro, rad, _ = _open(w, team)
    assert rad.call("signal", {"appointment_id": a, "kind": "hangup"})["ok"] is True  # leaving is not ending
    assert ada.wait("signal", lambda d: d["kind"] == "hangup")["from"] == f"clinician-{team.rad}"
    assert rad.call("join_visit", {"appointment_id": a})["ok"] is True  # and back
    marks = {p: p.mark() for p in (ada, neuro, rad)}
    ack = rad.call("end_visit", {"appointment_id": a})
    assert ack == {"ok": True, "appointment_id": a, "status": "completed"}
    for p in (ada, neuro, rad):
        assert p.wait("visit_ended", since=marks[p]) == {"appointment_id": a, "status": "completed"}
    assert len(ada.got("visit_ended", since=marks[ada])) == 1
    for clinic in (neuro, rad):
        assert clinic.wait("waiting_list", lambda d: d["in_visit"] is None, since=marks[clinic])
        assert clinic.wait("clinician_status", lambda d: d == {"status": "available"}, since=marks[clinic])
    assert w.appointment(a)["status"] == "completed"
    assert _code(neuro.call("signal", {"appointment_id": a, "kind": "ready", "to": "patient"})) == "closed"
    assert _code(ada.call("join_visit", {"appointment_id": a})) == "closed"
    assert _code(neuro.call("end_visit", {"appointment_id": a})) == "closed"
