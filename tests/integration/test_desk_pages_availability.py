"""Weekly availability per site and mode, and time off, edited at the desk, with the coming week beside it."""

from __future__ import annotations

from televisit.extensions import db
from televisit.models import AvailabilityRule, TimeOff
from tests import factories as f
from tests.support.care_desk_world import Forms
from tests.support.desk_world import MON_9_EST, book, page, sign_in


def _rules(clinician_id: int) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.query(AvailabilityRule).filter_by(clinician_id=clinician_id).order_by(AvailabilityRule.weekday)
    return [(r.location_id, r.weekday, r.start_minute, r.end_minute, sorted(r.modes)) for r in rows]


def _row(i: int, loc: int, weekday: int, start: str, end: str, *modes: str) -> dict:
    p = f"rules-{i}-"
    return {p + "location_id": str(loc), p + "weekday": str(weekday), p + "start": start, p + "end": end} | {
        p + "modes": list(modes)
    }


def test_the_page_shows_the_rules_and_the_coming_week(app, client):
    p = f.program()
    book(client, p, "other", "2027-03-01T10:00:00-05:00")  # today, Monday, at 10:00 in Cleveland
    sign_in(client, "scheduler")
    html = page(client.get(f"/schedule/clinicians/{p.us_doc.id}/availability"))
    assert 'value="09:00"' in html and 'value="12:00"' in html
    assert "Mon, Mar 1" in html and "10:00 AM EST other" in html
    assert "9:00 AM EST (In person / Video)" in html  # the free slots the search offers
    assert "Dr. Cleveland" in page(client.get("/schedule/clinicians"))


def test_save_weekly_hours_with_24_00_and_remove_a_row(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    form = {"rows": "3"} | _row(0, p.cleveland.id, 0, "09:00", "12:00", "virtual") | {"rules-0-remove": "1"}
    form |= _row(1, p.london.id, 2, "18:00", "24:00", "virtual", "in_person") | _row(2, p.cleveland.id, 4, "", "")
    r = client.post(f"/schedule/clinicians/{p.us_doc.id}/availability", data=form)
    assert r.status_code == 302
    assert _rules(p.us_doc.id) == [(p.london.id, 2, 18 * 60, 24 * 60, ["in_person", "virtual"])]


def test_bad_rows_are_refused_inline_and_nothing_changes(app, client):
    p = f.program()
    before = _rules(p.us_doc.id)
    sign_in(client, "scheduler")
    form = {"rows": "3"} | _row(0, p.cleveland.id, 0, "09:00", "25:00", "virtual")
    form |= _row(1, p.cleveland.id, 1, "14:00", "13:00", "virtual") | _row(2, p.cleveland.id, 2, "08:00", "09:00")
    html = page(client.post(f"/schedule/clinicians/{p.us_doc.id}/availability", data=form), 422)
    assert "Nothing was saved" in html
    assert 'id="rules-0-end-error"' in html and "the end time in window 1 as a time from 00:00 to 24:00." in html
    assert 'id="rules-1-end-error"' in html and "The end time in window 2 must be after start" in html
    assert "Please choose video, in person or both in window 3." in html and "rules[2].modes" not in html
    assert 'value="25:00"' in html  # the typed values are kept
    assert _rules(p.us_doc.id) == before


def test_a_whole_day_off_and_a_span_and_their_effect(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    url = f"/schedule/clinicians/{p.us_doc.id}"
    r = client.post(f"{url}/time-off", data={"kind": "day", "location_id": str(p.cleveland.id), "date": "2027-03-01"})
    assert r.status_code == 302
    span = {"kind": "span", "location_id": str(p.cleveland.id), "start_date": "2027-03-08", "start_time": "09:00"}
    span |= {"end_date": "2027-03-08", "end_time": "10:00", "reason": "Tumor board"}
    assert client.post(f"{url}/time-off", data=span).status_code == 302
    offs = db.session.query(TimeOff).order_by(TimeOff.start_at).all()
    assert [(o.start_at.isoformat(), o.end_at.isoformat()) for o in offs] == [
        ("2027-03-01T05:00:00+00:00", "2027-03-02T05:00:00+00:00"),
        ("2027-03-08T14:00:00+00:00", "2027-03-08T15:00:00+00:00"),
    ]
    html = page(client.get(f"{url}/availability"))
    assert "time off" in html and "Tumor board" in html
    assert client.post(f"{url}/time-off/{offs[0].id}/delete").status_code == 302
    assert db.session.query(TimeOff).count() == 1


def test_the_part_day_time_off_form_as_rendered_saves(app, client):
    """The form's own field names (not names a test types in): its site field once was '"location_id"'."""
    p = f.program()
    sign_in(client, "scheduler")
    url = f"/schedule/clinicians/{p.us_doc.id}"
    form = Forms(page(client.get(f"{url}/availability"))).with_button("Add the time off")
    names = [name for name, _ in form["fields"]]
    assert sorted(names) == ["csrf_token", "end_date", "end_time", "kind", "location_id", "start_date", "start_time"]
    typed = {"location_id": str(p.cleveland.id), "start_date": "2027-03-08", "start_time": "13:00"}
    typed |= {"end_date": "2027-03-08", "end_time": "14:30"}
    r = client.post(form["action"], data={name: typed.get(name, value) for name, value in form["fields"]})
    assert r.status_code == 302, page(r, 422)[:2000]
    (off,) = db.session.query(TimeOff).all()
    assert (off.start_at.isoformat(), off.end_at.isoformat(), off.location_id) == (
        "2027-03-08T18:00:00+00:00",
        "2027-03-08T19:30:00+00:00",
        p.cleveland.id,
    )


def test_time_off_errors_are_inline(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    url = f"/schedule/clinicians/{p.us_doc.id}/time-off"
    html = page(client.post(url, data={"kind": "day", "location_id": str(p.cleveland.id), "date": "soon"}), 422)
    assert 'id="date-error"' in html
    span = {"kind": "span", "location_id": str(p.cleveland.id), "start_date": "2027-03-08", "start_time": "11:00"}
    html = page(client.post(url, data=span | {"end_date": "2027-03-08", "end_time": "10:00"}), 422)
    assert "must be after start" in html


def test_the_effect_counts_a_booked_visit(app, client):
    p = f.program()
    book(client, p, "other", MON_9_EST)
    sign_in(client, "admin")
    html = page(client.get(f"/schedule/clinicians/{p.us_doc.id}/availability"))
    assert "Mon, Mar 1" in html


def test_only_schedulers_and_admins_edit_availability(app, client):
    p = f.program()
    sign_in(client, "clinician")
    page(client.get(f"/schedule/clinicians/{p.us_doc.id}/availability"), 403)
    page(client.post(f"/schedule/clinicians/{p.us_doc.id}/availability", data={"rows": "0"}), 403)
    assert _rules(p.us_doc.id)
