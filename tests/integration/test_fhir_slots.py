"""FHIR Slot read and search over HTTP: free slots of the engine behind /api/v1/slots, valid R4, stable ids.

The clock is frozen at Monday 2027-03-01 12:00 UTC (07:00 in Cleveland, 12:00 in London); both doctors of
`factories.program()` work Mondays 09:00-12:00 at their site, both modes, 60-minute consults: six slots a
Monday each. New York moves its clocks on 14 March, London on 28 March.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from televisit.extensions import db
from tests import factories as f
from tests.support.fhir_world import entries, fhir, next_link, token

SYSTEM = "http://televisit.test/fhir/CodeSystem/visit-type"
DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"


def slots(client, query: str, status: int = 200) -> list[dict]:
    """Every Slot of a search (following `next` links); each page checked valid R4 by `fhir`."""
    found, path = [], f"/Slot?{query}"
    while path:
        bundle = fhir(client, "GET", path, status)
        if status != 200:
            return bundle
        assert bundle["type"] == "searchset" and "total" not in bundle
        found += entries(bundle, "Slot")
        link = next_link(bundle)
        path = link and link.split("/fhir", 1)[1]
    return found


def schedule(doc, site) -> str:
    return f"Schedule/{doc.id}.{site.id}"


def api_slots(client, vt, doc, site, first: str, last: str) -> list[dict]:
    q = {"visit_type_id": vt.id, "from": first, "to": last, "clinician_id": doc.id, "location_id": site.id}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return r.json["slots"]


def test_a_schedules_week_is_its_free_slots_with_the_sites_offset_and_both_extensions(client):
    p = f.program()
    found = slots(client, f"schedule={schedule(p.us_doc, p.cleveland)}")  # default window: the next 7 days
    starts = [s["start"] for s in found]
    assert starts == [f"2027-03-01T{h}:00:00-05:00" for h in ("09", "09", "10", "10", "11", "11")]
    assert [s["end"] for s in found][:2] == ["2027-03-01T10:00:00-05:00"] * 2
    assert {s["appointmentType"]["text"] for s in found} == {"Video visit", "In person"}
    first = found[0]
    assert first["status"] == "free" and first["schedule"] == {"reference": schedule(p.us_doc, p.cleveland)}
    assert first["id"] == f"{p.us_doc.id}.{p.cleveland.id}.{p.consult.id}.{first['id'].split('.')[3]}.202703011400"
    coding = first["serviceType"][0]["coding"][0]
    assert (coding["system"], coding["code"], coding["display"]) == (SYSTEM, str(p.consult.id), "Consult")
    ext = {e["url"]: e for e in first["extension"]}
    assert ext[PHONE]["valueString"] == "+1 216 555 0100"
    assert ext[DEEP_LINK]["valueUrl"].startswith("http://televisit.test/find-care")


def test_ids_are_stable_and_a_booked_slot_leaves_the_search_and_reads_404(client):
    p = f.program()
    query = f"schedule={schedule(p.uk_doc, p.london)}&start=ge2027-03-01&start=lt2027-03-16"
    before = slots(client, query)
    assert len(before) == 6 + 6 and slots(client, query) == before  # 1 March's are past by noon; 8 and 15 March
    for s in before[:3]:
        assert fhir(client, "GET", f"/Slot/{s['id']}") == s
    taken = next(s for s in before if s["start"] == "2027-03-08T10:00:00+00:00" and s["id"].split(".")[3] == "p")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.uk_doc.id, "location_id": p.london.id}
    body |= {"mode": "in_person", "start": taken["start"], "patient_id": p.users["patient"].patient_id}
    r = client.post("/api/v1/appointments", json=body, headers=token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    after = slots(client, query)
    gone = {s["id"] for s in before} - {s["id"] for s in after}
    assert len(gone) == 2 and taken["id"] in gone  # the visit holds the hour: its video twin goes too
    assert [s for s in before if s["id"] not in gone] == after  # every other slot keeps its id
    outcome = fhir(client, "GET", f"/Slot/{taken['id']}", 404)
    assert outcome["issue"][0]["code"] == "not-found"


def test_paging_follows_next_links_to_the_same_slots_in_order(client):
    p = f.program()
    query = f"schedule={schedule(p.us_doc, p.cleveland)}&start=ge2027-03-01&start=lt2027-03-29"
    whole = slots(client, query)
    assert len(whole) == 4 * 6
    first = fhir(client, "GET", f"/Slot?{query}&_count=5")
    assert len(entries(first)) == 5 and "_offset=5" in next_link(first)
    paged = slots(client, f"{query}&_count=5")
    assert paged == whole and len({s["id"] for s in paged}) == 24
    last = fhir(client, "GET", f"/Slot?{query}&_count=5&_offset=20")
    assert len(entries(last)) == 4 and next_link(last) is None
    none = fhir(client, "GET", f"/Slot?{query}&_count=0")
    assert entries(none) == [] and next_link(none) is None  # a next link to the same empty page would loop
    assert [s["start"][:10] for s in whole] == sorted(s["start"][:10] for s in whole)


def test_across_both_dst_changes_slots_carry_the_right_offset_and_match_the_json_api(client):
    p = f.program()
    for doc, site, offsets in (
        (p.us_doc, p.cleveland, ("-05:00", "-04:00")),
        (p.uk_doc, p.london, ("+00:00", "+01:00")),
    ):
        found = slots(client, f"schedule={schedule(doc, site)}&start=ge2027-03-08&start=lt2027-04-06")
        api = api_slots(client, p.consult, doc, site, "2027-03-08", "2027-04-05")
        assert len(found) == len(api) == 5 * 6
        mine = [(s["start"], s["end"], s["appointmentType"]["coding"][0]["code"]) for s in found]
        assert mine == [(s["start"], s["end"], s["mode"]) for s in api]  # slot for slot, same instants and text
        assert {s["start"][-6:] for s in found} == set(offsets)
    london = slots(client, f"schedule={schedule(p.uk_doc, p.london)}&start=2027-03-29")  # eq: that local day
    assert {s["start"] for s in london} == {f"2027-03-29T{h}:00:00+01:00" for h in ("09", "10", "11")}


def test_start_bounds_on_instants_with_offsets_and_dates_local_to_the_site(client):
    p = f.program()
    base = f"schedule={schedule(p.us_doc, p.cleveland)}"
    # gt an instant excludes it; le includes it: 10:00 and 11:00 EST on 8 March
    found = slots(client, f"{base}&start=gt2027-03-08T09:00:00-05:00&start=le2027-03-08T16:00:00Z")
    assert sorted({s["start"] for s in found}) == ["2027-03-08T10:00:00-05:00", "2027-03-08T11:00:00-05:00"]
    unescaped = fhir(client, "GET", f"/Slot?{base}&start=ge2027-03-08T10:00:00+00:00&start=lt2027-03-09")
    assert len(entries(unescaped)) == 6  # a raw "+" arrives as a space: still read as the offset
    assert slots(client, f"{base}&start=ge2027-03-08&start=lt2027-03-08") == []  # an empty window
    assert slots(client, f"{base}&start=lt2027-02-01") == []  # wholly in the past


def test_without_a_schedule_a_service_type_searches_every_clinician(client):
    p = f.program()
    other = f.visit_type("Other")
    f.clinician("Dr. Other", visit_types=[other], rules=[(p.cleveland, 0, 9 * 60, 12 * 60, ("in_person",))])
    found = slots(client, f"service-type={SYSTEM}|{p.consult.id}&start=ge2027-03-08&start=lt2027-03-09")
    assert {s["schedule"]["reference"] for s in found} == {
        schedule(p.us_doc, p.cleveland),
        schedule(p.uk_doc, p.london),
    }
    assert len(found) == 12 and {s["serviceType"][0]["coding"][0]["code"] for s in found} == {str(p.consult.id)}
    assert slots(client, f"service-type={p.consult.id}&start=ge2027-03-08&start=lt2027-03-09") == found
    assert slots(client, "service-type=http://snomed.info/sct|12345") == []  # another code system: no match


def test_a_schedule_searches_every_visit_type_offered_there_unless_one_is_named(client):
    p = f.program()
    short = f.visit_type("Short", minutes=30, modes=("in_person",))
    p.us_doc.visit_types = [p.consult, short]
    db.session.commit()
    query = f"schedule={schedule(p.us_doc, p.cleveland)}&start=2027-03-08"
    every = slots(client, query)
    assert len(every) == 6 + 6 and {s["serviceType"][0]["text"] for s in every} == {"Consult", "Short"}
    assert len(slots(client, f"{query}&service-type={short.id}")) == 6
    assert len(slots(client, f"{query}&service-type={short.id},{p.consult.id}")) == 12  # comma: either
    assert slots(client, f"{query}&service-type={short.id}&service-type={p.consult.id}") == []  # both: none


def test_status_free_is_all_we_publish(client):
    p = f.program()
    base = f"schedule={schedule(p.us_doc, p.cleveland)}"
    assert len(slots(client, f"{base}&status=free")) == 6
    assert len(slots(client, f"{base}&status=busy,free")) == 6
    assert slots(client, f"{base}&status=busy") == []
    assert slots(client, "schedule=Schedule/999.999") == []  # no such schedule: nothing matches


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "schedule"),
        ("schedule=Practitioner/1", "schedule"),
        ("schedule=1.1&start=ne2027-03-01", "start"),
        ("schedule=1.1&start=ge2027-03-01T09:00:00", "start"),  # an instant without its offset
        ("schedule=1.1&start=ge2027-02-30", "start"),
        ("schedule=1.1&start=ge2027-03-01&start=lt2027-04-02", "start"),  # 32 days
        ("schedule=1.1&start=lt2027-04-15", "start"),  # from now: 45 days
        ("schedule=1.1&start=ge9999-12-31", "start"),
        ("schedule=1.1&status=maybe", "status"),
        ("schedule=1.1&service-type=consult", "service-type"),
        ("schedule=1.1&_count=many", "_count"),
        ("schedule=" + ",".join(f"{i}.1" for i in range(1, 12)), "schedule"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client, query, field):
    f.program()
    outcome = slots(client, query, 422)
    assert field in [e for issue in outcome["issue"] for e in issue.get("expression", [])]


def test_31_local_days_across_the_autumn_change_are_allowed(client):
    p = f.program()
    query = f"schedule={schedule(p.us_doc, p.cleveland)}&start=ge2027-10-25&start=lt2027-11-25"
    assert len(slots(client, query)) == 5 * 6  # 31 days and an hour (New York falls back on 7 November)


def test_reading_a_slot_404s_when_malformed_not_ours_or_past(client):
    p = f.program()
    first = slots(client, f"schedule={schedule(p.us_doc, p.cleveland)}")[0]
    virtual = f"{p.us_doc.id}.{p.cleveland.id}.{p.consult.id}.v.202703011400"
    assert fhir(client, "GET", f"/Slot/{virtual}")["appointmentType"]["coding"][0]["code"] == "virtual"
    assert first["id"] in {virtual, virtual.replace(".v.", ".p.")}
    for bad in (
        "nonsense",
        f"0{virtual}",  # not the spelling we give
        virtual.replace("1400", "1430"),  # off the grid
        virtual.replace("202703011400", "202702221400"),  # last week
        f"{p.us_doc.id}.{p.london.id}.{p.consult.id}.v.202703011400",  # not a site they work at
        f"999.{p.cleveland.id}.{p.consult.id}.v.202703011400",
    ):
        assert fhir(client, "GET", f"/Slot/{bad}", 404)["resourceType"] == "OperationOutcome"


def test_the_deep_link_takes_a_signed_out_patient_through_sign_in_to_that_times_confirmation(client):
    p = f.program()
    follow_up = f.visit_type("Follow-up", minutes=30)
    p.uk_doc.visit_types = [follow_up]
    db.session.commit()
    found = slots(client, f"schedule={schedule(p.uk_doc, p.london)}&start=2027-03-08")
    video = next(s for s in found if s["start"] == "2027-03-08T10:30:00+00:00" and ".v." in s["id"])
    link = next(e["valueUrl"] for e in video["extension"] if e["url"] == DEEP_LINK)
    url = urlsplit(link)
    assert url.path == "/find-care/confirm" and parse_qs(url.query)["start"] == ["2027-03-08T10:30:00+00:00"]
    target = f"{url.path}?{url.query}"
    r = client.get(target)  # signed out
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    r = client.post(r.headers["Location"], data={"email": "pat@example.org", "password": f.PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == target
    page = client.get(target)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Confirm your visit" in text and "Mr. London" in text
    assert "Video visit, from" in text and "10:30" in text  # the picked time, by video from home (GB)
