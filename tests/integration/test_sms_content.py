"""What an SMS may say: time, place or "video visit", the organisation and a link; never anything clinical."""

from __future__ import annotations

import re

import pytest

from televisit.extensions import db
from tests.conftest import UK_PHONE, US_PHONE

REASON = "MRI follow-up of a glioma, ask about chemotherapy"
# the visit type, clinicians, specialty and reason of this program, and the words that give a diagnosis away
FORBIDDEN = (
    "spine", "spinal", "tumor", "tumour", "radiosurg", "neurosurg", "oncolog", "mri", "glioma", "chemo",
    "okafor", "raman", "dr.", "consult", "neuro",
)  # fmt: skip


@pytest.fixture
def clinical_names(sms):
    """Rename the program the way a real spine tumor program is named, so leaks would show."""
    p = sms.p
    p.consult.name = "Spine Tumor Radiosurgery Consult"
    p.us_doc.name, p.us_doc.specialty = "Dr. Hadley Okafor", "neurosurgical oncology"
    p.uk_doc.name, p.uk_doc.specialty = "Dr. Priya Raman", "spine oncology"
    p.cleveland.name, p.london.name = "Cleveland Spine Tumor Center", "London Spine Centre"
    db.session.commit()
    return p


# a signed link's token is random base64: it may spell "mri" or "neuro" by chance, so it is not read
SIGNED_TOKEN = re.compile(r"(/l/[a-z_-]+/)[A-Za-z0-9_.-]+")


def assert_discreet(body: str) -> None:
    lowered = SIGNED_TOKEN.sub(r"\1<token>", body).lower()
    leaked = [word for word in FORBIDDEN if word in lowered]
    assert not leaked and REASON.lower() not in lowered, (leaked, body)


def sms_bodies(messaging, to=UK_PHONE) -> list[str]:
    return messaging.twilio.bodies_to(to)


@pytest.mark.parametrize("mode", ["virtual", "in_person"])
def test_every_rule_says_time_place_org_and_link_and_nothing_clinical(sms, messaging, clinical_names, mode):
    public = messaging.app.config["PUBLIC_URL"]
    appt = sms.book(mode=mode, reason=REASON)
    messaging.run_jobs()
    sms.act(appt["id"], "reschedule", {"start": "2027-03-08T10:00:00-05:00"})
    messaging.run_jobs()
    for due in ("2027-03-06T15:00:00+00:00", "2027-03-08T13:00:00+00:00"):  # 48 h, then 2 h before 10:00 EST
        sms.at(due)
        messaging.run_jobs()
    sms.act(appt["id"], "cancel", {"reason": "feeling worse after chemotherapy"})
    messaging.run_jobs()

    rules = [r.rule for r in sms.rows(channel="sms", status="sent")]
    assert rules == ["confirmation", "moved", "48h", "2h", "cancelled"]
    bodies = sms_bodies(messaging)
    assert len(bodies) == 5
    place = "video visit" if mode == "virtual" else "Cleveland"
    for rule, body in zip(rules, bodies, strict=True):
        assert_discreet(body)
        clocks = ("09:00 EST", "14:00 GMT") if rule == "confirmation" else ("10:00 EST", "15:00 GMT")
        assert all(c in body for c in clocks), (rule, body)
        assert "Televisit Health" in body and place in body, (rule, body)
        assert re.search(re.escape(public) + r"/l/(view|join)/\S+", body), (rule, body)
    assert ("/l/join/" in bodies[3]) == (mode == "virtual"), bodies[3]  # the 2 h SMS of a video visit
    assert not any("/l/join/" in b for b in bodies[:3] + bodies[4:])


def test_the_join_link_of_the_2h_sms_opens_the_waiting_room_page(sms, messaging):
    sms.book()
    sms.at("2027-03-08T12:00:00+00:00")
    messaging.run_jobs()
    body = sms_bodies(messaging)[-1]
    join = re.search(r"https?://[^/\s]+(/l/join/\S+)", body).group(1)
    page = messaging.client.get(join)
    assert page.status_code == 200 and b"video visit" in page.data
    sms.at("2027-03-08T13:40:00+00:00")
    opened = messaging.client.get(join)  # once the room is open, the link leads into it
    assert opened.status_code == 302 and "/waiting-room/" in opened.headers["Location"]
    room = messaging.client.get(opened.headers["Location"])
    assert room.status_code == 200 and b"Before you check in" in room.data


CLOCKS = [
    # who, site, mode, start, must show, must not show
    ("patient", "cleveland", "virtual", "2027-03-08T09:00:00-05:00", ["09:00 EST", "14:00 GMT", "your time"], ["AM"]),
    ("patient", "cleveland", "virtual", "2027-03-15T09:00:00-04:00", ["09:00 EDT", "13:00 GMT"], ["AM", "EST"]),
    ("patient", "cleveland", "in_person", "2027-04-05T09:00:00-04:00", ["09:00 EDT", "14:00 BST"], ["AM", "GMT"]),
    ("patient", "london", "virtual", "2027-03-08T09:00:00+00:00", ["09:00 GMT"], ["your time", "EST", "AM"]),
    ("other", "cleveland", "virtual", "2027-03-08T09:00:00-05:00", ["9:00 AM EST"], ["09:00", "your time", "GMT"]),
    ("other", "cleveland", "in_person", "2027-03-15T11:00:00-04:00", ["11:00 AM EDT"], ["your time", "11:00 E"]),
    ("other", "london", "in_person", "2027-03-08T09:00:00+00:00", ["9:00 AM GMT", "4:00 AM EST", "your time"], []),
]


@pytest.mark.parametrize(("who", "site", "mode", "start", "shown", "hidden"), CLOCKS)
def test_times_read_in_the_site_zone_and_the_patients_own_clock(sms, messaging, who, site, mode, start, shown, hidden):
    sms.book(who, site=site, mode=mode, start=start)
    messaging.run_jobs()
    (body,) = sms_bodies(messaging, UK_PHONE if who == "patient" else US_PHONE)
    assert all(s in body for s in shown) and not any(h in body for h in hidden), body
    assert_discreet(body)
