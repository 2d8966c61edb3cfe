"""Patient identity through the JSON API (API.md "Second round: Limits"): date of birth and MRN, phone numbers in
national form, likely duplicates at registration, and GET /patients?q= by name, MRN, birth date or phone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from televisit import clock
from televisit.extensions import db
from televisit.models import Patient
from tests import factories as f
from tests.support.desk_world import book

API = "/api/v1"
ROSA = {
    "name": "Rosa Díaz",
    "email": "rosa@example.org",
    "phone": "(216) 555-0142",
    "region": "US-OH",
    "timezone": "America/New_York",
    "date_of_birth": "1958-03-14",
    "mrn": "cle-004512",
}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Patient))


def _desk(client):
    f.program()
    return f.token(client, "sched@example.org")


def test_a_patient_is_registered_with_birth_date_and_mrn_and_a_national_phone_stored_e164(client):
    h = _desk(client)
    r = client.post(f"{API}/patients", json=ROSA, headers=h)
    assert r.status_code == 201, r.json
    made = r.json
    assert (made["date_of_birth"], made["mrn"], made["phone"]) == ("1958-03-14", "CLE-004512", "+12165550142")
    assert made["possible_duplicates"] == []
    got = client.get(f"{API}/patients/{made['id']}", headers=h).json
    assert (got["date_of_birth"], got["mrn"], got["phone"]) == ("1958-03-14", "CLE-004512", "+12165550142")
    uk = ROSA | {"email": "ann@example.org", "name": "Ann Lee", "mrn": None, "date_of_birth": None}
    r = client.post(f"{API}/patients", json=uk | {"phone": "07700 900123", "region": "GB-ENG"}, headers=h)
    assert r.status_code == 201 and r.json["phone"] == "+447700900123"  # API.md's example, GB-ENG read as GB
    assert (r.json["date_of_birth"], r.json["mrn"]) == (None, None)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"date_of_birth": "14/03/1958"}, "date_of_birth", "YYYY-MM-DD"),
        ({"date_of_birth": "1958-02-30"}, "date_of_birth", "no such date"),
        ({"date_of_birth": "2027-03-03"}, "date_of_birth", "cannot be in the future"),
        ({"mrn": "CLE 004512"}, "mrn", "letters, digits or hyphens"),
        ({"phone": "07700 900123", "region": None}, "phone", "country code"),  # national, but whose?
        ({"phone": "555-0142"}, "phone", "too few digits"),
        ({"email": "rosa@@example.org"}, "email", "@-sign"),  # email-validator's words
    ],
)
def test_a_bad_field_is_a_422_in_words_and_nothing_is_written(client, change, field, words):
    h = _desk(client)
    before = _count()
    r = client.post(f"{API}/patients", json=ROSA | change, headers=h)
    assert r.status_code == 422 and words in r.json["error"]["fields"][field], r.json
    assert _count() == before


def test_an_mrn_names_one_record(client):
    h = _desk(client)
    first = client.post(f"{API}/patients", json=ROSA, headers=h).json["id"]
    before = _count()
    again = ROSA | {"name": "Someone Else", "email": "else@example.org", "phone": "+12165550199", "mrn": "CLE-004512"}
    r = client.post(f"{API}/patients", json=again, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_mrn", r.json
    assert r.json["error"]["patient_id"] == first and "mrn" in r.json["error"]["fields"]
    assert _count() == before
    assert client.post(f"{API}/patients", json=again | {"mrn": "CLE-004513"}, headers=h).status_code == 201


def test_the_database_refuses_a_second_mrn_but_not_many_records_without_one(app):
    now = clock.now()
    db.session.add_all([Patient(name=f"P{i}", timezone="UTC", created_at=now) for i in range(3)])
    db.session.commit()  # three records without an MRN: NULLs never collide
    db.session.add(Patient(name="A", timezone="UTC", mrn="X-1", created_at=now))
    db.session.commit()
    db.session.add(Patient(name="B", timezone="UTC", mrn="X-1", created_at=now))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_same_name_and_birth_date_is_a_409_naming_the_records_unless_confirmed(client):
    h = _desk(client)
    first = client.post(f"{API}/patients", json=ROSA, headers=h).json["id"]
    twin = {**ROSA, "name": "rosa  DIAZ", "email": "rosa.d@example.org", "phone": "+12165550177", "mrn": None}
    before = _count()
    r = client.post(f"{API}/patients", json=twin, headers=h)
    assert r.status_code == 409, r.json
    error = r.json["error"]
    assert error["code"] == "possible_duplicate" and error["patient_ids"] == [first]
    assert error["possible_duplicates"] == [{"patient_id": first, "match": ["name_and_birth_date"]}]
    assert "confirm_new" in error["message"] and _count() == before
    r = client.post(f"{API}/patients", json=twin | {"confirm_new": True}, headers=h)
    assert r.status_code == 201 and r.json["possible_duplicates"][0]["patient_id"] == first
    other_day = twin | {"email": "rosa.e@example.org", "date_of_birth": "1958-03-15", "phone": "+12165550178"}
    assert client.post(f"{API}/patients", json=other_day, headers=h).json["possible_duplicates"] == []


def test_a_shared_phone_registers_but_names_the_records_that_have_it(client):
    h = _desk(client)
    first = client.post(f"{API}/patients", json=ROSA, headers=h).json["id"]
    household = {**ROSA, "name": "Luis Díaz", "email": "luis@example.org", "date_of_birth": "1990-01-02", "mrn": None}
    r = client.post(f"{API}/patients", json=household | {"phone": "+1 216-555-0142"}, headers=h)
    assert r.status_code == 201, r.json  # a household often shares a number: a warning, not a refusal
    assert r.json["possible_duplicates"] == [{"patient_id": first, "match": ["phone"]}]


def test_the_same_email_is_still_refused_as_before(client):
    h = _desk(client)
    first = client.post(f"{API}/patients", json=ROSA, headers=h).json["id"]
    r = client.post(f"{API}/patients", json=ROSA | {"email": "ROSA@example.org", "mrn": None}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_patient"
    assert r.json["error"]["patient_id"] == first


def _search(client, h, q, **headers):
    return client.get(f"{API}/patients", query_string={"q": q}, headers=h | headers)


def _found(client, h, q, **headers) -> list[str]:
    r = _search(client, h, q, **headers)
    assert r.status_code == 200, r.json
    return [p["name"] for p in r.json["patients"]]


def test_search_by_name_mrn_birth_date_or_phone_in_any_common_form(client):
    h = _desk(client)
    client.post(f"{API}/patients", json=ROSA, headers=h)
    uk = {"name": "Ann Lee", "email": "ann@example.org", "phone": "07700 900123", "region": "GB"}
    client.post(f"{API}/patients", json=uk | {"timezone": "Europe/London", "date_of_birth": "1958-04-03"}, headers=h)
    assert _found(client, h, "díaz") == _found(client, h, "ROSA DIAZ") == ["Rosa Díaz"]  # case and accents aside
    assert _found(client, h, "CLE-004512") == _found(client, h, "cle-004512") == ["Rosa Díaz"]
    assert _found(client, h, "CLE-0045") == []  # an MRN matches exactly, not in part
    assert _found(client, h, "1958-03-14") == ["Rosa Díaz"]
    us, gb = {"Accept-Language": "en-US"}, {"Accept-Language": "en-GB"}
    assert _found(client, h, "03/04/1958", **us) == []  # March 4 on a US desk: nobody
    assert _found(client, h, "03/04/1958", **gb) == ["Ann Lee"]  # 3 April on a UK desk
    assert _found(client, h, "3/14/1958", **us) == _found(client, h, "14/03/1958", **gb) == ["Rosa Díaz"]
    assert _found(client, h, "(216) 555-0142") == _found(client, h, "+1 216 555 0142") == ["Rosa Díaz"]
    assert _found(client, h, "07700 900123", **us) == _found(client, h, "+447700900123") == ["Ann Lee"]
    assert _found(client, h, "rosa@exa") == ["Rosa Díaz"]  # emails too, as the desk always could


def test_a_one_character_search_asks_for_two_characters(client):
    h = _desk(client)
    r = _search(client, h, "r")
    assert r.status_code == 422 and "at least two characters" in r.json["error"]["message"]
    assert "at least two characters" in r.json["error"]["fields"]["q"]
    assert _search(client, h, "").status_code == 422


def test_a_clinician_finds_only_the_patients_they_treat_and_a_patient_nobody(client):
    p = f.program()
    book(client, p, "other")  # Dr. Cleveland's patient
    clinician = f.token(client, "cle@example.org")
    assert [x["email"] for x in _search(client, clinician, "example").json["patients"]] == ["other@example.org"]
    assert _search(client, f.token(client, "sched@example.org"), "example").json["more"] is False
    assert len(_search(client, f.token(client, "sched@example.org"), "example").json["patients"]) == 2
    assert _search(client, f.token(client, "pat@example.org"), "example").status_code == 403
