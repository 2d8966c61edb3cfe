"""The schedulers' queues: urgent cases from intakes, and the waitlist for earlier slots."""

from __future__ import annotations

from datetime import timedelta

from televisit import clock
from televisit.extensions import db
from televisit.models import Intake, UrgentCase, WaitlistEntry
from televisit.services.auth import actor_of
from televisit.services.messaging import waitlist
from tests import factories as f
from tests.support.desk_world import MON_9_EST, book, page, sign_in


def _urgent_case(p, who="other", minutes_ago=25) -> int:
    patient = p.users[who].patient
    patient.phone = "+12165550123"
    at = clock.now() - timedelta(minutes=minutes_ago)
    flags = ["bladder_bowel", "weakness_walking"]
    intake = Intake(patient_id=patient.id, need="new", answers={}, red_flags=flags, created_at=at)
    db.session.add(intake)
    db.session.flush()
    case = UrgentCase(patient_id=patient.id, intake_id=intake.id, flags=flags, status="open", created_at=at)
    db.session.add(case)
    db.session.commit()
    return case.id


def test_the_urgent_queue_lists_open_cases_with_their_red_flags(app, client):
    p = f.program()
    _urgent_case(p)
    sign_in(client, "scheduler")
    html = page(client.get("/schedule/urgent"))
    assert (
        "1 open" in html
        and "new loss of bladder or bowel control" in html
        and "new weakness or trouble walking" in html
    )
    assert 'href="tel:+12165550123"' in html and "waiting 25 min" in html
    assert f'href="/schedule/book/{p.users["other"].patient_id}"' in html


def test_resolve_an_urgent_case_with_a_note(app, client):
    p = f.program()
    case_id = _urgent_case(p)
    sign_in(client, "scheduler")
    r = client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": "Called; going to the ED"})
    assert r.status_code == 302
    db.session.expire_all()
    case = db.session.get(UrgentCase, case_id)
    assert (case.status, case.note) == ("resolved", "Called; going to the ED")
    html = page(client.get("/schedule/urgent"))
    assert "Resolved the urgent case of other" in html and "No urgent cases" in html
    again = page(client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": "x"}), 409)
    assert "already been resolved" in again


def test_the_waitlist_lists_waiting_patients_and_can_take_one_off(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    assert "Nobody is waiting for an earlier time" in page(client.get("/schedule/waitlist"))
    waitlist.join(db.session, appt_id, actor=actor_of(p.users["other"]), now=clock.now())
    html = page(client.get("/schedule/waitlist"))
    assert "1 waiting" in html and "9:00 AM EST" in html and "No earlier time offered yet" in html
    assert client.post(f"/schedule/waitlist/{appt_id}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.query(WaitlistEntry).one().status == "withdrawn"


def test_patients_and_clinicians_cannot_open_the_queues(app, client):
    p = f.program()
    case_id = _urgent_case(p)
    for who in ("other", "clinician"):
        sign_in(client, who)
        page(client.get("/schedule/urgent"), 403)
        page(client.get("/schedule/waitlist"), 403)
        page(client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": "x"}), 403)
        client.post("/logout")
