"""The desk's time grid: the care world of tests/support/care_desk_world.py with a week of visits in it (the week
of Monday 8 March 2027, Cleveland on New York time):

- Mon 09:00 EST: the Ohio patient's video consult with Dr. Cleveland;
- Mon 10:00 EST: the London patient's video consult with Dr. Neuro (15:00 GMT on the patient's clock);
- Tue 10:00 EST: the Ohio patient's whole-spine MRI with Dr. Image on "MRI 1";
- Wed-Fri 08:00 EST: the London patient's three-fraction spine radiosurgery course with Dr. Rad on "Linac 1"
  (its fractions move only with the whole course);
- Thu: the Ohio patient's "New spinal metastasis day" at Cleveland (an MRI, then two consults; its steps move only
  with the whole day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from televisit import clock
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.models import Pathway, User
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.pathways import courses, itineraries
from televisit.services.pathways.options import OptionsQuery, day_options
from tests.support import care_desk_world
from tests.support.care_desk_world import CareDesk

MON_9 = datetime.fromisoformat("2027-03-08T09:00:00-05:00")
MON_10 = datetime.fromisoformat("2027-03-08T10:00:00-05:00")
TUE_10 = datetime.fromisoformat("2027-03-09T10:00:00-05:00")
WED_8 = datetime.fromisoformat("2027-03-10T08:00:00-05:00")


@dataclass
class GridWorld:
    """The care world and the ids of the week's visits."""

    care: CareDesk
    consult: int  # Ohio patient, Dr. Cleveland, Mon 09:00
    london_consult: int  # London patient, Dr. Neuro, Mon 10:00
    mri: int  # Ohio patient, Dr. Image, MRI 1, Tue 10:00
    course: int
    fractions: list[int]
    itinerary: int
    steps: list[int]
    us_doc: int = 0  # Dr. Cleveland, as a plain id (reading the model would open a transaction)
    cleveland: int = 0


def _desk():
    return actor_of(db.session.scalars(select(User).where(User.email == "sched@example.org")).one())


def _book(patient_id: int, visit_type_id: int, clinician_id: int, location_id: int, mode: str, start, region) -> int:
    slot = SlotRequest(visit_type_id, clinician_id, location_id, mode, start, region)
    req = booking.BookingRequest(slot, patient_id, "Grid test")
    return booking.book(db.session, req, actor=_desk(), now=clock.now()).id


def _clinic_day(care: CareDesk, day: date) -> tuple[int, list[int]]:
    """The pathway's first clinic day on `day` at Cleveland for the Ohio patient: its id and its steps' ids."""
    pathway = db.session.get(Pathway, care.pathway)
    q = OptionsQuery(day, day + timedelta(days=1), get_zone("America/New_York"), care.p.cleveland.id, "US-OH", 1)
    (option,) = day_options(db.session, pathway, q, now=clock.now())
    steps = [
        itineraries.StepRequest(s.start, s.clinician_id, s.location_id, s.mode, s.clinician_ids or None, s.resource_ids)
        for s in option.steps
    ]
    it = itineraries.book(db.session, pathway.id, steps, actor=_desk(), now=clock.now(), patient_id=care.ohio)
    return it.id, [a.id for a in itineraries.steps_of(db.session, it.id)]


def build() -> GridWorld:
    """The world above, committed (a live server reads it at once)."""
    care = care_desk_world.build()
    p, cle = care.p, care.p.cleveland.id
    consult = _book(care.ohio, p.consult.id, p.us_doc.id, cle, "virtual", MON_9, "US-OH")
    london = _book(care.londoner, p.consult.id, care.neuro, cle, "virtual", MON_10, "GB")
    mri = _book(care.ohio, care.mri_type, care.radiology, cle, "in_person", TUE_10, "US-OH")
    spec = courses.CourseSpec(care.srs, care.radonc, cle, 3, "weekdays")
    course = courses.book(db.session, courses.CourseRequest(spec, care.londoner, WED_8), actor=_desk(), now=clock.now())
    fractions = [a.id for a in courses.fractions_of(db.session, course.id)]
    itinerary, steps = _clinic_day(care, date(2027, 3, 11))
    world = GridWorld(care, consult, london, mri, course.id, fractions, itinerary, steps, p.us_doc.id, cle)
    db.session.commit()  # end the transaction: on SQLite an open one would hold a live server's writes
    return world
