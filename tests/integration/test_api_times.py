"""Time on the wire: zones, offsets, grouping by local date, and calendar files."""

from __future__ import annotations

import re

from icalendar import Calendar

from tests import factories as f

MON = "2027-03-08"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def _slots(client, vt, first, last=None, **params) -> dict:
    q = {"visit_type_id": vt.id, "from": first, "to": last or first, "mode": "in_person", **params}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return r.json


def _cleveland(client, p, day, tz):
    return [s["start"] for s in _slots(client, p.consult, day, tz=tz, clinician_id=p.us_doc.id)["slots"]]


def test_slots_render_in_the_requested_zone(client):
    p = f.program()
    assert _cleveland(client, p, MON, "America/New_York") == [
        "2027-03-08T09:00:00-05:00",
        "2027-03-08T10:00:00-05:00",
        "2027-03-08T11:00:00-05:00",
    ]
    assert _cleveland(client, p, MON, "Europe/London") == [
        "2027-03-08T14:00:00+00:00",
        "2027-03-08T15:00:00+00:00",
        "2027-03-08T16:00:00+00:00",
    ]
    # New York is on daylight time from 3/14 while London is not until 3/28
    assert _cleveland(client, p, "2027-03-15", "America/New_York")[0] == "2027-03-15T09:00:00-04:00"
    assert _cleveland(client, p, "2027-03-15", "Europe/London")[0] == "2027-03-15T13:00:00+00:00"
    assert _cleveland(client, p, "2027-03-29", "Europe/London")[0] == "2027-03-29T14:00:00+01:00"


def test_timezone_field_names_the_zone_used(client):
    p = f.program()
    assert _slots(client, p.consult, MON, tz="Asia/Tokyo")["timezone"] == "Asia/Tokyo"
    assert _slots(client, p.consult, MON, location_id=p.london.id)["timezone"] == "Europe/London"
    assert _slots(client, p.consult, MON, location_id=p.cleveland.id)["timezone"] == "America/New_York"
    assert _slots(client, p.consult, MON)["timezone"] == "UTC"
    london = _slots(client, p.consult, MON, location_id=p.london.id)["slots"]
    assert [s["start"] for s in london] == [f"{MON}T{h}:00:00+00:00" for h in ("09", "10", "11")]


def test_tokyo_viewer_sees_monday_new_york_slots_on_monday_night_and_tuesday(client):
    p = f.program()
    body = _slots(client, p.consult, MON, "2027-03-09", tz="Asia/Tokyo", clinician_id=p.us_doc.id)
    assert body["timezone"] == "Asia/Tokyo"
    assert [s["start"] for s in body["slots"]] == [
        "2027-03-08T23:00:00+09:00",
        "2027-03-09T00:00:00+09:00",
        "2027-03-09T01:00:00+09:00",
    ]
    assert [(d["date"], [s["start"][11:16] for s in d["slots"]]) for d in body["days"]] == [
        ("2027-03-08", ["23:00"]),
        ("2027-03-09", ["00:00", "01:00"]),
    ]
    assert [s for d in body["days"] for s in d["slots"]] == body["slots"]
    # `from`/`to` are Tokyo dates: Tuesday in Tokyo holds New York's Monday 10:00 and 11:00 only
    tuesday = _slots(client, p.consult, "2027-03-09", tz="Asia/Tokyo", clinician_id=p.us_doc.id)
    assert [s["start"] for s in tuesday["slots"]] == ["2027-03-09T00:00:00+09:00", "2027-03-09T01:00:00+09:00"]
    assert [d["date"] for d in tuesday["days"]] == ["2027-03-09"]


def test_days_group_both_sites_by_the_viewers_date(client):
    p = f.program()
    body = _slots(client, p.consult, MON, "2027-03-09", tz="Asia/Tokyo")
    by_day = {d["date"]: d["slots"] for d in body["days"]}
    assert sorted(by_day) == ["2027-03-08", "2027-03-09"]
    assert [(s["clinician_id"], s["start"][11:16]) for s in by_day["2027-03-08"]] == [
        (p.uk_doc.id, "18:00"),
        (p.uk_doc.id, "19:00"),
        (p.uk_doc.id, "20:00"),
        (p.us_doc.id, "23:00"),
    ]
    assert all(s["start"].startswith(date) for date, slots in by_day.items() for s in slots)
    starts = [s["start"] for s in body["slots"]]
    assert starts == sorted(starts)


def test_every_instant_has_seconds_and_an_offset(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    for tz in ("UTC", "Asia/Kolkata", "America/St_Johns", "Europe/London"):
        for s in _slots(client, p.consult, MON, tz=tz)["slots"]:
            assert INSTANT.match(s["start"]) and INSTANT.match(s["end"]), s
    slot = _slots(client, p.consult, MON, tz="Asia/Kolkata")["slots"][0]
    assert slot["start"].endswith("+05:30")
    body = {k: slot[k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    appt = client.post("/api/v1/appointments", json={**body, "patient_id": p.users["other"].patient_id}, headers=h)
    assert appt.status_code == 201, appt.json
    for key in ("start", "end", "created_at", "updated_at"):
        assert INSTANT.match(appt.json[key]), (key, appt.json[key])
    assert appt.json["created_at"] == "2027-03-01T12:00:00+00:00"
    token = client.post("/api/v1/auth/token", json={"email": "pat@example.org", "password": f.PASSWORD}).json
    assert INSTANT.match(token["expires_at"])


def _book_cleveland(client, h, p, hhmm="10:00"):
    body = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": f"{MON}T{hhmm}:00-05:00",
        "patient_id": p.users["patient"].patient_id,
    }
    r = client.post("/api/v1/appointments", json=body, headers=h)
    assert r.status_code == 201, r.json
    return r.json


def test_appointments_render_in_tz_or_the_location_zone(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book_cleveland(client, h, p)
    assert (appt["start"], appt["timezone"]) == ("2027-03-08T10:00:00-05:00", "America/New_York")
    one = client.get(f"/api/v1/appointments/{appt['id']}?tz=Europe/London", headers=h).json
    assert (one["start"], one["end"], one["timezone"]) == (
        "2027-03-08T15:00:00+00:00",
        "2027-03-08T16:00:00+00:00",
        "Europe/London",
    )
    listed = client.get("/api/v1/appointments?tz=Asia/Tokyo", headers=h).json["appointments"]
    assert [(a["start"], a["timezone"]) for a in listed] == [("2027-03-09T00:00:00+09:00", "Asia/Tokyo")]
    plain = client.get("/api/v1/appointments", headers=h).json["appointments"]
    assert plain[0]["start"] == appt["start"] and plain[0]["timezone"] == "America/New_York"


def test_appointment_date_filters_use_the_viewers_dates(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book_cleveland(client, h, p)  # Monday 10:00 in New York is Tuesday 00:00 in Tokyo

    def ids(**q):
        r = client.get("/api/v1/appointments", query_string=q, headers=h)
        assert r.status_code == 200, r.json
        return [a["id"] for a in r.json["appointments"]]

    assert ids(**{"from": MON, "to": MON, "tz": "America/New_York"}) == [appt["id"]]
    assert ids(**{"from": MON, "to": MON, "tz": "Asia/Tokyo"}) == []
    assert ids(**{"from": "2027-03-09", "to": "2027-03-09", "tz": "Asia/Tokyo"}) == [appt["id"]]
    assert ids(**{"from": MON, "to": MON, "location_id": p.cleveland.id}) == [appt["id"]]
    assert ids(**{"from": "2027-03-09", "location_id": p.cleveland.id}) == []


def _ics(client, h, appt_id):
    r = client.get(f"/api/v1/appointments/{appt_id}/calendar.ics", headers=h)
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    zones = [c for c in cal.walk("VTIMEZONE")]
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return r.data.decode(), zones, events[0]


def test_calendar_file_has_the_zone_and_a_stable_uid_and_sequence(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    appt = _book_cleveland(client, h, p, "09:00")
    text, zones, event = _ics(client, h, appt["id"])
    assert [str(z["TZID"]) for z in zones] == ["America/New_York"]
    assert "DTSTART;TZID=America/New_York:20270308T090000" in text
    assert event.decoded("DTSTART").isoformat() == "2027-03-08T09:00:00-05:00"
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    for expected, hhmm in ((1, "11:00"), (2, "10:00")):
        url = f"/api/v1/appointments/{appt['id']}"
        assert client.post(f"{url}/reschedule", json={"start": f"{MON}T{hhmm}:00-05:00"}, headers=h).status_code == 200
        text, _, event = _ics(client, h, appt["id"])
        current = client.get(url, headers=h).json
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == current["sequence"] == expected
        assert event.decoded("DTSTART").isoformat() == current["start"] == f"{MON}T{hhmm}:00-05:00"
    cancelled = client.post(f"/api/v1/appointments/{appt['id']}/cancel", headers=h)
    assert cancelled.status_code == 200
    _, _, event = _ics(client, h, appt["id"])
    assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED"


def test_calendar_file_for_london_uses_the_london_zone(client):
    p = f.program()
    h = f.token(client, "pat@example.org")
    body = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.uk_doc.id,
        "location_id": p.london.id,
        "mode": "in_person",
        "start": "2027-03-29T09:00:00+01:00",
    }
    appt = client.post("/api/v1/appointments", json=body, headers=h).json
    text, zones, event = _ics(client, h, appt["id"])
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    assert "DTSTART;TZID=Europe/London:20270329T090000" in text
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 3600
