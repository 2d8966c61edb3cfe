"""SMART Scheduling Links over HTTP: the `$bulk-publish` manifest and its NDJSON files, without auth.

The clock is frozen at Monday 2027-03-01 12:00 UTC; `factories.program()`'s doctors work Mondays 09:00-12:00
(Cleveland, London). The next 28 days, to 29 March 12:00 UTC, hold four Mondays of each: Cleveland's from
1 March, London's from 8 March (its 1 March slots are past by noon; its 29 March ones, on BST, are before noon).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from televisit.extensions import db
from tests import factories as f
from tests.support.fhir_world import entries, fhir, token, valid

NDJSON = "application/fhir+ndjson"


def manifest(client, query: str = "") -> dict:
    r = client.get(f"/fhir/$bulk-publish{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/json" and r.headers["Cache-Control"] == "public, max-age=300"
    return r.get_json()


def ndjson(client, url: str) -> list[dict]:
    """The lines of a published file, each checked valid R4 (the file is streamed, not built whole)."""
    r = client.get(urlsplit(url).path)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.is_streamed and r.mimetype == NDJSON and r.headers["Cache-Control"] == "public, max-age=300"
    text = r.get_data(as_text=True)
    assert text == "" or text.endswith("\n")
    return [valid(json.loads(line)) for line in text.splitlines()]


def files(client) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in manifest(client)["output"]:
        out.setdefault(item["type"], []).append(item["url"])
    return out


def search(client, query: str) -> list[dict]:
    found, path = [], f"/Slot?{query}&_count=500"
    bundle = fhir(client, "GET", path)
    found += entries(bundle, "Slot")
    return found


def test_the_manifest_lists_location_schedule_and_one_slot_file_per_site(client):
    p = f.program()
    body = manifest(client)
    assert set(body) == {"transactionTime", "request", "output", "error"} and body["error"] == []
    assert body["transactionTime"] == "2027-03-01T12:00:00+00:00"
    assert body["request"] == "http://localhost/fhir/$bulk-publish"
    base = "http://localhost/fhir/$bulk-publish"
    assert body["output"] == [
        {"type": "Location", "url": f"{base}/Location.ndjson"},
        {"type": "Schedule", "url": f"{base}/Schedule.ndjson"},
        {"type": "Slot", "url": f"{base}/Slot-{p.cleveland.id}.ndjson", "extension": {"state": ["OH"]}},
        {"type": "Slot", "url": f"{base}/Slot-{p.london.id}.ndjson"},
    ]


def test_location_and_schedule_files_are_valid_and_name_every_site_and_schedule(client):
    p = f.program()
    urls = files(client)
    sites = ndjson(client, urls["Location"][0])
    assert [(s["id"], s["name"]) for s in sites] == [(str(p.cleveland.id), "Cleveland"), (str(p.london.id), "London")]
    schedules = ndjson(client, urls["Schedule"][0])
    assert [s["id"] for s in schedules] == [f"{p.us_doc.id}.{p.cleveland.id}", f"{p.uk_doc.id}.{p.london.id}"]
    assert schedules[0]["actor"][1] == {"reference": f"Location/{p.cleveland.id}", "display": "Cleveland"}
    assert schedules[0]["serviceType"][0]["coding"][0]["code"] == str(p.consult.id)


def test_each_slot_file_is_its_sites_free_slots_for_28_days_every_line_valid(client):
    p = f.program()
    urls = files(client)["Slot"]
    cleveland, london = ndjson(client, urls[0]), ndjson(client, urls[1])
    assert len(cleveland) == len(london) == 4 * 6
    assert {s["start"][:10] for s in cleveland} == {"2027-03-01", "2027-03-08", "2027-03-15", "2027-03-22"}
    assert {s["start"][-6:] for s in cleveland} == {"-05:00", "-04:00"}  # across New York's change
    assert {s["schedule"]["reference"] for s in london} == {f"Schedule/{p.uk_doc.id}.{p.london.id}"}
    for doc, site, lines in ((p.us_doc, p.cleveland, cleveland), (p.uk_doc, p.london, london)):
        same = search(client, f"schedule=Schedule/{doc.id}.{site.id}&start=ge2027-03-01&start=lt2027-03-29T12:00:00Z")
        assert lines == same  # the very resources GET /fhir/Slot answers, in its order


def test_the_horizon_is_televisit_publish_days(client, app):
    p = f.program()
    app.config["PUBLISH_DAYS"] = 8  # to Tuesday 9 March, noon
    assert {s["start"][:10] for s in ndjson(client, files(client)["Slot"][0])} == {"2027-03-01", "2027-03-08"}
    app.config["PUBLISH_DAYS"] = 56
    assert len(ndjson(client, f"/fhir/$bulk-publish/Slot-{p.london.id}.ndjson")) == 8 * 6


def test_a_booking_takes_its_slot_out_of_the_file(client):
    p = f.program()
    url = f"/fhir/$bulk-publish/Slot-{p.london.id}.ndjson"
    before = ndjson(client, url)
    body = {"visit_type_id": p.consult.id, "clinician_id": p.uk_doc.id, "location_id": p.london.id}
    body |= {"mode": "virtual", "start": "2027-03-15T09:00:00+00:00", "patient_region": "GB"}
    r = client.post("/api/v1/appointments", json=body, headers=token(client, "pat@example.org"))
    assert r.status_code == 201, r.json
    after = ndjson(client, url)
    assert len(after) == len(before) - 2
    assert "2027-03-15T09:00:00+00:00" not in {s["start"] for s in after}


def test_since_is_accepted_and_answered_with_the_full_set(client):
    f.program()
    whole = manifest(client)
    since = manifest(client, "?_since=2027-03-01T11:00:00Z")
    assert since["output"] == whole["output"] and since["request"].endswith("?_since=2027-03-01T11:00:00Z")
    assert manifest(client, "?_since=2027-03-01T11:00:00+00:00")["output"] == whole["output"]  # unescaped +
    for bad in ("yesterday", "2027-03-01T11:00:00", "2027-03-01"):
        r = client.get("/fhir/$bulk-publish", query_string={"_since": bad})
        assert r.status_code == 422 and r.mimetype == "application/fhir+json"
        outcome = valid(r.get_json())
        assert outcome["issue"][1]["expression"] == ["_since"]


def test_no_auth_is_needed_and_an_unknown_site_is_a_404_outcome(client):
    p = f.program()
    db.session.commit()
    assert client.get("/fhir/$bulk-publish", headers={"Authorization": "Bearer nonsense"}).status_code == 200
    r = client.get("/fhir/$bulk-publish/Slot-999.ndjson")
    assert r.status_code == 404 and valid(r.get_json())["resourceType"] == "OperationOutcome"
    assert client.get(f"/fhir/$bulk-publish/Slot-{p.cleveland.id}.ndjson").status_code == 200


def test_slot_lines_escape_what_a_name_holds(client):
    p = f.program()
    p.consult.name = 'Bilan « rapide » {x} "quoted" \\ back'
    db.session.commit()
    lines = ndjson(client, f"/fhir/$bulk-publish/Slot-{p.cleveland.id}.ndjson")
    assert len(lines) == 4 * 6 and {s["serviceType"][0]["text"] for s in lines} == {p.consult.name}
    raw = client.get(f"/fhir/$bulk-publish/Slot-{p.cleveland.id}.ndjson").get_data(as_text=True).splitlines()[0]
    assert raw == json.dumps(lines[0], separators=(",", ":"), ensure_ascii=False)  # compact JSON, as fhir+json is
