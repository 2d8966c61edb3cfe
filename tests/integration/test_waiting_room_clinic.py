"""The clinician's side on a live server: admit, end, no-show, running late, messages, licensure, presence."""

from __future__ import annotations


def _code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


def _checked_in(w, who: str, hhmm: str):
    appt = w.book(who, hhmm)
    peer = w.peer(who)
    assert peer.call("check_in", {"appointment_id": appt})["ok"] is True
    return appt, peer


def test_admit_then_end_the_visit(w):
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    a, ada = _checked_in(w, "ada", "09:10")
    b, bob = _checked_in(w, "bob", "09:20")
    assert _code(ada.call("admit", {"appointment_id": a})) == "forbidden"
    assert _code(w.peer("other").call("admit", {"appointment_id": a})) == "not_found"  # not their patient

    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    assert ada.wait("admitted")["visit_url"] == f"{w.server.url}/waiting-room/{a}?view=visit"
    assert w.appointment(a)["status"] == "in_visit"
    assert _code(clinic.call("admit", {"appointment_id": a})) == "conflict"
    assert _code(clinic.call("admit", {"appointment_id": b})) == "busy"  # one visit at a time

    assert _code(ada.call("end_visit", {"appointment_id": a})) == "forbidden"
    mark = bob.mark()
    ack = clinic.call("end_visit", {"appointment_id": a})
    assert ack == {"ok": True, "appointment_id": a, "status": "completed"}
    assert ada.wait("visit_ended") == {"appointment_id": a, "status": "completed"}
    assert bob.wait("clinician_status", lambda d: d == {"status": "available"}, since=mark)
    body = w.appointment(a)
    assert body["status"] == "completed" and body["ended_at"] and body["admitted_at"] <= body["ended_at"]
    assert _code(clinic.call("end_visit", {"appointment_id": a})) == "closed"
    assert clinic.call("admit", {"appointment_id": b})["ok"] is True  # the next one now


def test_admit_needs_a_checked_in_patient(w):
    booked, cancelled = w.book("ada", "09:10"), w.book("bob", "09:20")
    w.set_status(cancelled, "cancelled")
    clinic = w.peer("doc")
    assert _code(clinic.call("admit", {"appointment_id": booked})) == "not_checked_in"
    assert _code(clinic.call("admit", {"appointment_id": cancelled})) == "cancelled"
    assert _code(clinic.call("admit", {"appointment_id": 987654})) == "not_found"


def test_running_late_reaches_every_waiting_patient_and_moves_their_eta(w):
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    (_, ada), (_, bob) = _checked_in(w, "ada", "09:10"), _checked_in(w, "bob", "09:20")
    before = {ada: ada.wait("queue"), bob: bob.wait("queue", lambda d: d["position"] == 2)}
    assert all(q["clinician_status"] == "available" for q in before.values())
    marks = {p: p.mark() for p in (ada, bob, clinic)}

    ack = clinic.call("running_late", {"minutes": 15})
    assert ack == {"ok": True, "status": {"status": "running_late", "minutes": 15}}
    for p in (ada, bob):
        assert p.wait("clinician_status", lambda d: d["status"] == "running_late", since=marks[p])["minutes"] == 15
        after = p.wait("queue", lambda d: d["late_minutes"] == 15, since=marks[p])
        assert after["clinician_status"] == "running_late" and after["position"] == before[p]["position"]
        assert 14 <= after["eta_minutes"] - before[p]["eta_minutes"] <= 15  # the clock may tick a minute
    late = clinic.wait("clinician_status", lambda d: d["status"] == "running_late", since=marks[clinic])
    assert late == {"status": "running_late", "minutes": 15}

    marks = {p: p.mark() for p in (ada, bob)}
    assert clinic.call("running_late", {"minutes": 0})["status"] == {"status": "available"}
    for p in (ada, bob):
        assert p.wait("clinician_status", lambda d: d == {"status": "available"}, since=marks[p])
        assert p.wait("queue", lambda d: d["late_minutes"] == 0, since=marks[p])
    for bad in (241, -1, "15", 1.5, True, None):
        assert _code(clinic.call("running_late", {"minutes": bad})) == "invalid"
    assert clinic.call("join_clinic", {})["status"] == {"status": "available"}


def test_no_show_from_the_start_time(w):
    started, later = w.book("ada", "09:00"), w.book("bob", "09:30")
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    ada = w.peer("ada")
    assert ada.call("check_in", {"appointment_id": started})["ok"] is True
    assert _code(clinic.call("no_show", {"appointment_id": later})) == "too_early"
    assert _code(ada.call("no_show", {"appointment_id": started})) == "forbidden"
    mark = clinic.mark()
    assert clinic.call("no_show", {"appointment_id": started}) == {
        "ok": True,
        "appointment_id": started,
        "status": "no_show",
    }
    assert ada.wait("visit_ended") == {"appointment_id": started, "status": "no_show"}
    assert clinic.wait("waiting_list", lambda d: d["patients"] == [], since=mark)
    assert w.appointment(started)["status"] == "no_show"
    assert _code(clinic.call("no_show", {"appointment_id": started})) == "conflict"


def test_messages_both_ways_and_their_history(w):
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    a, ada = _checked_in(w, "ada", "09:10")
    sent = ada.call("message", {"appointment_id": a, "text": "  My camera is slow  "})
    assert sent["ok"] is True and sent["at"].endswith("-05:00")
    got = clinic.wait("patient_message")
    assert got == {"appointment_id": a, "name": "Ada", "text": "My camera is slow", "at": sent["at"]}

    reply = clinic.call("send_message", {"appointment_id": a, "text": "No problem, take your time."})
    assert reply["ok"] is True
    assert ada.wait("clinic_message") == {"appointment_id": a, "text": "No problem, take your time.", "at": reply["at"]}
    assert _code(w.peer("other").call("send_message", {"appointment_id": a, "text": "hi"})) == "not_found"

    history = [(m["sender"], m["text"]) for m in ada.call("check_in", {"appointment_id": a})["messages"]]
    assert history == [("patient", "My camera is slow"), ("clinic", "No problem, take your time.")]
    assert [m["text"] for m in clinic.call("join_clinic", {})["messages"]] == [t for _, t in history]


def test_out_of_licence_patient_alerts_the_clinic_and_cannot_be_admitted(w):
    clinic = w.peer("doc")
    clinic.call("join_clinic", {})
    a = w.book("ada", "09:10")
    ada = w.peer("ada")
    ack = ada.call("precheck", {"appointment_id": a, "region": "US-CA", "consent": True})
    assert ack["ok"] is True and ack["licensed"] is False and "US-CA" in ack["message"]
    alert = clinic.wait("alert")
    assert alert["appointment_id"] == a and alert["kind"] == "not_licensed" and alert["region"] == "US-CA"
    assert alert["message"]
    assert ada.call("check_in", {"appointment_id": a})["licensed"] is False
    item = clinic.wait("waiting_list", lambda d: d["patients"])["patients"][0]
    assert item["licensed"] is False and item["region"] == "US-CA"
    assert item["start_label"] == "9:10 AM EST" and item["checked_in_label"].endswith(" AM EST")  # the site's clock
    assert _code(clinic.call("admit", {"appointment_id": a})) == "not_licensed"
    assert w.appointment(a)["status"] == "checked_in"

    assert ada.call("precheck", {"appointment_id": a, "region": "US-FL", "consent": True})["licensed"] is True
    assert clinic.call("admit", {"appointment_id": a})["ok"] is True


def test_the_line_sees_the_clinician_come_online_and_leave(w):
    a, ada = _checked_in(w, "ada", "09:10")
    assert ada.wait("queue")["clinician_status"] == "offline"
    assert ada.wait("clinician_status") == {"status": "offline"}
    mark = ada.mark()
    clinic = w.peer("doc")
    assert clinic.call("join_clinic", {})["status"] == {"status": "available"}
    assert ada.wait("clinician_status", lambda d: d == {"status": "available"}, since=mark)
    second = w.cookie_peer("doc")  # a second tab: still online when the first closes
    assert second.call("join_clinic", {})["ok"] is True
    mark = ada.mark()
    clinic.close()
    second.close()
    assert ada.wait("clinician_status", lambda d: d == {"status": "offline"}, since=mark)


def test_staff_may_watch_a_waiting_list_but_not_run_it(w):
    a, _ = _checked_in(w, "ada", "09:10")
    sched = w.peer("sched")
    assert _code(sched.call("join_clinic", {})) == "invalid"  # whose?
    assert _code(sched.call("join_clinic", {"clinician_id": 999})) == "not_found"
    for bad in ("1", True, 0, 10**30, 1.5):
        assert _code(sched.call("join_clinic", {"clinician_id": bad})) == "invalid"
    ack = sched.call("join_clinic", {"clinician_id": w.ids["doc"]})
    assert ack["ok"] is True and [p["appointment_id"] for p in ack["waiting_list"]["patients"]] == [a]
    assert ack["status"] == {"status": "offline"}  # watching does not make the clinician look online
    assert _code(sched.call("admit", {"appointment_id": a})) == "forbidden"
    assert _code(w.peer("other").call("join_clinic", {"clinician_id": w.ids["doc"]})) == "forbidden"
