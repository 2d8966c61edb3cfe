"""End-to-end booking through the API on both databases."""

from tests import factories as f


def test_london_patient_books_first_offered_video_slot_in_cleveland(client):
    p = f.program()
    headers = f.token(client, "pat@example.org")
    r = client.get(
        f"/api/v1/slots?visit_type_id={p.consult.id}&from=2027-03-08&to=2027-03-08"
        f"&tz=Europe/London&clinician_id={p.us_doc.id}&mode=virtual&patient_region=GB-ENG"
    )
    assert r.status_code == 200
    assert r.json["slots"] == []  # the Cleveland doctor has no GB licence
    r = client.get(
        f"/api/v1/slots?visit_type_id={p.consult.id}&from=2027-03-08&to=2027-03-08"
        f"&tz=Europe/London&clinician_id={p.us_doc.id}&mode=virtual&patient_region=US-OH"
    )
    starts = [s["start"] for s in r.json["slots"]]
    assert starts == ["2027-03-08T14:00:00+00:00", "2027-03-08T15:00:00+00:00", "2027-03-08T16:00:00+00:00"]
    slot = r.json["slots"][0]
    body = {k: slot[k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    r = client.post("/api/v1/appointments", json={**body, "patient_region": "US-OH"}, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["start"] == "2027-03-08T09:00:00-05:00" and r.json["timezone"] == "America/New_York"
    again = client.post("/api/v1/appointments", json={**body, "patient_region": "US-OH"}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "slot_unavailable"
