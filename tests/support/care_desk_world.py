"""Care at the desk: the small program of tests/factories.py plus a Cleveland MRI scanner and linac (Mon-Fri
08:00-17:00), an MRI visit type, a joint neurosurgery + radiation oncology visit, spine radiosurgery on the
linac, three Cleveland clinicians working Mon-Fri 08:00-17:00, and the pathway "New spinal metastasis day"
(MRI, then two consults, in person, 15 minutes to 2 hours apart). Also a small HTML form reader for the
page tests (the forms post exactly what the page offers)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from televisit.extensions import db
from televisit.services.pathways import catalog as pathways
from televisit.services.pathways import resources
from tests import factories as f

IN_PERSON = ("in_person",)
BOTH = ("virtual", "in_person")
WEEK = range(5)


@dataclass
class CareDesk:
    """Ids of the care world, and the factories' program."""

    p: object
    mri: int
    linac: int
    mri_type: int
    joint: int
    srs: int
    neuro: int
    radonc: int
    radiology: int
    pathway: int
    ohio: int  # "other": Ohio patient living in New York time
    londoner: int  # "patient": a London patient


def _resource(name: str, kind: str, site_id: int) -> int:
    res = resources.create_resource(db.session, name=name, kind=kind, location_id=site_id)
    hours = [resources.HoursInput(wd, 8 * 60, 17 * 60) for wd in WEEK]
    return resources.set_hours(db.session, res.id, hours).id


def _typed(name: str, minutes: int, modes, **extra):
    vt = f.visit_type(name, minutes, modes)
    for key, value in extra.items():
        setattr(vt, key, value)
    db.session.commit()
    return vt


def build() -> CareDesk:
    """The world above (committed)."""
    p = f.program()
    cle = p.cleveland
    mri, linac = _resource("MRI 1", "mri", cle.id), _resource("Linac 1", "linac", cle.id)
    mri_type = _typed("Whole-spine MRI", 60, IN_PERSON, resource_kinds=["mri"])
    joint = _typed("Joint spine consult", 60, BOTH, team_specialties=["neurosurgery", "radiation_oncology"])
    srs = _typed("Spine radiosurgery", 60, IN_PERSON, resource_kinds=["linac"])
    week = [(cle, wd, 8 * 60, 17 * 60, BOTH) for wd in WEEK]
    neuro = f.clinician("Dr. Neuro", visit_types=[p.consult, joint], rules=week, licenses=("US-OH", "GB"))
    radonc = f.clinician("Dr. Rad", specialty="radiation_oncology", visit_types=[p.consult, joint, srs], rules=week)
    radiology = f.clinician("Dr. Image", specialty="neuroradiology", visit_types=[mri_type], rules=week)
    steps = [pathways.StepInput(mri_type.id, "in_person")] + [pathways.StepInput(p.consult.id, "in_person")] * 2
    pathway = pathways.create_pathway(
        db.session, name="New spinal metastasis day", steps=steps, min_gap_minutes=15, max_gap_minutes=120
    )
    world = CareDesk(
        p, mri, linac, mri_type.id, joint.id, srs.id, neuro.id, radonc.id, radiology.id, pathway.id,
        p.users["other"].patient_id, p.users["patient"].patient_id,
    )  # fmt: skip
    db.session.commit()  # end the transaction: on SQLite an open one would hold a live server's writes
    return world


class Forms(HTMLParser):
    """Every <form> of a page: its method, action, inputs (name -> list of values) and button texts."""

    def __init__(self, page: str):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._button: list | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": a.get("method", "get"), "action": a.get("action", ""), "fields": [], "text": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            if tag != "input" or a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form["fields"].append((a["name"], a.get("value", "")))
        elif self._form is not None and tag == "button":
            self._button = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self._form is not None:
            self._form["text"].append(" ".join("".join(self._button).split()))
            self._button = None
        elif tag == "form":
            self._form = None

    def with_button(self, text: str) -> dict:
        """The first form with a button whose text starts with `text`."""
        for form in self.forms:
            if any(t.startswith(text) for t in form["text"]):
                return form
        raise AssertionError(f"no form with a button {text!r}: {[f['text'] for f in self.forms]}")


def form_data(form: dict, **changes) -> dict:
    """What the form posts (repeated names as lists), with `changes`."""
    data: dict = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    data = {k: v[0] if len(v) == 1 else v for k, v in data.items()}
    return data | changes
