"""Several patients accept the same freed slot at the same moment: exactly one gets it.

The acceptances go through the live HTTP server (signed links and signed Twilio webhooks) from
threads released together by a barrier, or straight to the service in separate app contexts. The
database is then asked whether any two active appointments overlap.
"""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from televisit.domain.errors import DomainError
from televisit.extensions import db
from televisit.services.messaging import waitlist
from tests.conftest import NOW
from tests.integration.test_waitlist_support import at, iso, standard

OVERLAPPING_PAIRS = text(
    "SELECT count(*) FROM appointments a JOIN appointments b"
    " ON a.clinician_id = b.clinician_id AND a.id < b.id"
    " AND a.block_start < b.block_end AND b.block_start < a.block_end"
    " WHERE a.status = 'booked' AND b.status = 'booked'"
)
ORIGINAL = {"a": at(8, 13), "b": at(8, 14), "c": at(15, 9), "d": at(8, 10)}


def offered_to_four(m, monkeypatch):
    monkeypatch.setattr(waitlist, "OFFERS_PER_SLOT", 4)
    w, ids = standard(m)
    w.cancel(ids["x"])
    w.deliver()
    assert [k for k, _ in w.offers()] == ["a", "b", "c", "d"]
    return w, ids


def link_call(w, key: str):
    url = w.m.app.config["PUBLIC_URL"] + w.offer_path(key)
    return lambda: requests.post(url, timeout=60)


def sms_call(w, key: str, body: str = "Y"):
    url = w.m.app.config["PUBLIC_URL"] + "/webhooks/twilio/sms"
    params = {"From": w.people[key].phone, "To": "+15005550006", "Body": body, "MessageSid": f"SM{key}"}
    sig = RequestValidator(w.m.twilio.auth_token).compute_signature(url, params)
    return lambda: requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=60)


def all_at_once(m, calls: dict) -> dict:
    """Run every call on its own thread, released together; returns {name: response or exception}."""
    m.settle()  # SQLite: the test's own transaction must not hold the write lock
    barrier, results = threading.Barrier(len(calls)), {}

    def run(name, call):
        barrier.wait()
        try:
            results[name] = call()
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on below
            results[name] = exc

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return results


def won(response) -> bool:
    body = response.text
    if "/xml" in response.headers.get("Content-Type", ""):
        return "done, your appointment has moved" in body
    return response.status_code == 200 and "your appointment has moved" in body


def lost(response) -> bool:
    if "/xml" in response.headers.get("Content-Type", ""):
        return response.status_code == 200 and "taken" in response.text and "done" not in response.text
    return response.status_code == 409 and "taken" in response.text


def overlaps() -> int:
    db.session.expire_all()
    return db.session.execute(OVERLAPPING_PAIRS).scalar_one()


@pytest.mark.parametrize("attempt", [1, 2])
def test_four_patients_accept_at_once_and_exactly_one_wins(messaging, monkeypatch, attempt):
    w, ids = offered_to_four(messaging, monkeypatch)
    calls = {"a": link_call(w, "a"), "b": link_call(w, "b"), "c": link_call(w, "c"), "d": sms_call(w, "d")}
    results = all_at_once(messaging, calls)
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    winners = [k for k, r in results.items() if won(r)]
    assert len(winners) == 1, {k: (r.status_code, r.text[:200]) for k, r in results.items()}
    assert all(lost(r) for k, r in results.items() if k not in winners)
    (winner,) = winners
    assert w.appointments_at(at(8, 9)) == [ids[winner]]
    assert w.appt(ids[winner])["sequence"] == 1
    for key in set(ORIGINAL) - {winner}:
        assert w.start_of(ids[key]) == ORIGINAL[key] and w.appt(ids[key])["sequence"] == 0
    statuses = dict(w.offers())
    assert statuses.pop(winner) == "accepted" and set(statuses.values()) == {"gone"}
    assert overlaps() == 0


def test_accepts_in_separate_app_contexts(messaging, monkeypatch):
    w, ids = offered_to_four(messaging, monkeypatch)
    offers = {k: w.offer_of(k).id for k in ORIGINAL}
    patients = {k: w.people[k].patient_id for k in ORIGINAL}

    def accept(key):
        def call():
            with messaging.app.app_context():
                try:
                    return waitlist.accept(db.session, offers[key], patient_id=patients[key], now=NOW).id
                except DomainError as exc:
                    return exc
                finally:
                    db.session.remove()

        return call

    results = all_at_once(messaging, {k: accept(k) for k in ORIGINAL})
    winners = [k for k, r in results.items() if isinstance(r, int)]
    assert len(winners) == 1, results
    assert all(r.status == 409 for k, r in results.items() if k not in winners)
    assert w.appointments_at(at(8, 9)) == [ids[winners[0]]]
    assert overlaps() == 0


def test_one_patient_accepting_by_link_and_reply_at_once_moves_once(messaging, monkeypatch):
    w, ids = offered_to_four(messaging, monkeypatch)
    calls = {"link1": link_call(w, "a"), "link2": link_call(w, "a"), "sms": sms_call(w, "a")}
    results = all_at_once(messaging, calls)
    assert sum(won(r) for r in results.values()) == 1, {k: r.text[:200] for k, r in results.items()}
    appt = w.appt(ids["a"])
    assert appt["sequence"] == 1 and w.start_of(ids["a"]) == at(8, 9)
    assert w.freed_starts() == [at(8, 9), at(8, 13)]  # no second move "freed" the new time
    assert [s for k, s in w.offers() if k == "a"] == ["accepted"]


def test_a_slot_booked_meanwhile_cannot_be_accepted(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    w.deliver()
    w.person("walkin")
    taken = w.book("walkin", at(8, 9))  # a scheduler books the free time directly
    r = w.accept_link("a")
    assert r.status_code == 409 and "taken" in r.get_data(as_text=True)
    assert w.start_of(ids["a"]) == ORIGINAL["a"] and w.appt(ids["a"])["sequence"] == 0
    reply = w.reply("b", "Y").get_data(as_text=True)
    assert "taken" in reply and "done" not in reply
    assert w.start_of(ids["b"]) == ORIGINAL["b"] and w.appt(ids["b"])["sequence"] == 0
    assert w.appointments_at(at(8, 9)) == [taken]
    assert w.freed_starts() == [at(8, 9)]  # the failed moves freed nothing
    assert overlaps() == 0
    assert iso(at(8, 9)) == w.appt(taken)["start"]
