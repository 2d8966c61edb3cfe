"""The desk's urgent queue (issue 14), both databases, through the pages: the patient's own answers and history,
the open count in the desk's navigation, a required resolution note, resolved cases with who and when, and every
time in the desk's zone with the patient's own clock beside it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import UrgentCase, User
from tests import factories as f
from tests.conftest import NOW
from tests.support.desk_world import page, sign_in

RED_FLAGS = {
    "urgent": ["weakness_walking"],
    "symptoms": ["back_neck_pain", "weakness"],
    "since": "days",
    "course": "rapidly_worse",
    "daily_life": "severe",
    "prior_tumor": "yes",
    "prior_tumor_details": "Kidney cancer in 2019",
    "family_history": "no",
    "details": "My legs gave way on the stairs this morning",
}
NO_FLAGS = {**RED_FLAGS, "urgent": ["none"], "course": "same", "details": "", "prior_tumor_details": ""}


def _intake(client, who: str, answers: dict, *, at) -> None:
    """The patient `who` answers the intake at `at` (through the page), then signs out."""
    clock.freeze(at)
    client.post("/logout")
    sign_in(client, who)
    r = client.post("/intake", data={"need": "new", "mode": "in_person", **answers})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    client.post("/logout")
    clock.freeze(NOW)


def _case_ids() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(UrgentCase.id).order_by(UrgentCase.id)))


def _article(html: str, name: str) -> str:
    """The queue's card of the patient called `name`."""
    found = re.search(
        rf'<article class="panel urgent[^"]*"[^>]*>\s*<h2[^>]*>{re.escape(name)}</h2>.*?</article>', html, re.S
    )
    assert found, f"no card for {name}"
    return found.group(0)


def test_the_queue_shows_the_patients_own_answers_and_their_history(client):
    p = f.program()
    sched = db.session.get(User, p.users["scheduler"].id).name
    _intake(client, "other", NO_FLAGS, at=NOW - timedelta(days=30))
    _intake(client, "other", {**RED_FLAGS, "details": ""}, at=NOW - timedelta(days=20))
    first = _case_ids()[0]
    clock.freeze(NOW - timedelta(days=20) + timedelta(hours=1))
    sign_in(client, "scheduler")
    assert client.post(f"/schedule/urgent/{first}/resolve", data={"note": "Called; seen in clinic"}).status_code == 302
    client.post("/logout")
    _intake(client, "other", RED_FLAGS, at=NOW - timedelta(minutes=25))

    sign_in(client, "scheduler")
    card = _article(page(client.get("/schedule/urgent")), "other")
    for words in (
        "from the first-visit intake",
        "new weakness or trouble walking",
        "In their own words</dt><dd>“My legs gave way on the stairs this morning”",
        "A tumor before</dt><dd>Yes: “Kidney cancer in 2019”",
        "Started</dt><dd>Less than a week",
        "Since then</dt><dd>Getting worse quickly (over hours or days)",
        "Daily life</dt><dd>Severely: I need help with everyday tasks",
        "waiting 25 min",
    ):
        assert words in card, words
    history = re.search(r'<ul class="history">(.*?)</ul>', card, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", history)
    assert items == [
        "Intake, Sat, Jan 30, 2027: no red flags",
        "Intake, Tue, Feb 9, 2027: new weakness or trouble walking; rapidly worsening pain or numbness",
        f"Urgent case, Tue, Feb 9, 2027 (first-visit intake): resolved Tue, Feb 9, 2027 by {sched}: "
        "“Called; seen in clinic”",
    ], items


def test_the_desk_navigation_counts_open_cases_on_every_desk_page(client):
    p = f.program()
    _intake(client, "other", RED_FLAGS, at=NOW - timedelta(minutes=30))
    _intake(client, "patient", RED_FLAGS, at=NOW - timedelta(minutes=10))
    sign_in(client, "scheduler")
    for url in ("/schedule/urgent", "/schedule/waitlist", "/schedule"):
        nav = re.search(r'<nav class="subnav".*?</nav>', page(client.get(url)), re.S).group(0)
        assert re.search(r'href="/schedule/urgent"[^>]*>Urgent \(2\)</a>', nav), (url, nav)
    first = _case_ids()[0]
    client.post(f"/schedule/urgent/{first}/resolve", data={"note": "Called"})
    assert ">Urgent (1)</a>" in page(client.get("/schedule/waitlist"))
    client.post("/logout")
    sign_in(client, "admin")
    assert ">Urgent (1)</a>" in page(client.get("/admin/audit"))  # admins' pages share the desk navigation
    assert p.users["admin"].role == "admin"


def test_resolving_needs_a_note_said_in_words_and_the_case_stays_open(client):
    f.program()
    _intake(client, "other", RED_FLAGS, at=NOW - timedelta(minutes=5))
    (case_id,) = _case_ids()
    sign_in(client, "scheduler")
    for blank in ("", "   \n  "):
        html = page(client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": blank}), 422)
        assert "Please write what was done before resolving the case" in html
        assert "note:" not in html and "required" in html  # words, not a field key
        field = re.search(rf'<textarea id="note-{case_id}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field and f"note-{case_id}-error" in field
        assert re.search(rf'<p class="field-error" id="note-{case_id}-error">Please write what was done', html)
    db.session.expire_all()
    case = db.session.get(UrgentCase, case_id)
    assert (case.status, case.resolved_at, case.note) == ("open", None, None)
    html = page(client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": "x" * 1001}), 422)
    assert "Please keep the note under 1000 characters." in html


def test_resolved_cases_stay_visible_with_who_resolved_them_and_when(client):
    p = f.program()
    sched = db.session.get(User, p.users["scheduler"].id).name
    _intake(client, "other", RED_FLAGS, at=NOW - timedelta(minutes=40))
    (case_id,) = _case_ids()
    sign_in(client, "scheduler")
    clock.freeze(NOW + timedelta(minutes=7))  # 12:07 UTC: 7:07 AM EST at the desk
    r = client.post(f"/schedule/urgent/{case_id}/resolve", data={"note": "Called; attending the ED"})
    assert r.status_code == 302
    assert "No urgent cases" in page(client.get("/schedule/urgent"))
    html = page(client.get("/schedule/urgent?show=resolved"))
    assert 'aria-current="page">Resolved</a>' in html
    card = _article(html, "other")
    assert f'Resolved <span class="desk-time">Mon, Mar 1, 2027, 7:07 AM EST</span> by <strong>{sched}</strong>' in card
    assert "Called; attending the ED" in card and "new weakness or trouble walking" in card
    assert 'Raised <span class="desk-time">Mon, Mar 1, 2027, 6:20 AM EST</span>' in card


def test_every_time_is_in_the_desks_zone_with_the_patients_own_beside_it(client):
    f.program()
    f.user("chi@example.org", "patient", tz="America/Chicago", region="US-IL", name="Cal Chicago")
    db.session.commit()
    _intake(client, "chi@example.org", RED_FLAGS, at=NOW - timedelta(minutes=20))  # 11:40 UTC
    _intake(client, "patient", RED_FLAGS, at=NOW - timedelta(minutes=10))  # 11:50 UTC, the London patient
    sign_in(client, "scheduler")
    html = page(client.get("/schedule/urgent"))
    chicago, london = _article(html, "Cal Chicago"), _article(html, "pat")
    assert '6:40 AM EST</span> <span class="their-time">(5:40 AM CST in Chicago, the patient\'s time)' in chicago
    assert '6:50 AM EST</span> <span class="their-time">(11:50 AM GMT in London, the patient\'s time)' in london
    assert "CST</span>" not in html and "GMT</span>" not in html  # never a case in the patient's zone alone

    html = page(client.get("/schedule/urgent?tz=Europe/London"))  # the desk chooses London time
    assert '11:40 AM GMT</span> <span class="their-time">(5:40 AM CST in Chicago' in _article(html, "Cal Chicago")
    london = _article(html, "pat")
    assert "11:50 AM GMT</span>" in london and "their-time" not in london  # the same clock: nothing beside
    assert '<option value="Europe/London" selected>London time</option>' in html
    html = page(client.get("/schedule/urgent?tz=Mars/Olympus"))  # not a site's zone: the first site's
    assert "6:40 AM EST</span>" in html
