"""GET /metrics (API.md "Operations", issue 17 "Observe"): who may read it, and that what the service does shows
in it: requests by endpoint and status (never a path), bookings and refusals by reason, slot-search latency, the
outbox's backlog and its oldest due message, messages sent and failed by channel, the jobs' last success. On
SQLite and PostgreSQL. Counters are process-wide, so each test compares before and after.
"""

from __future__ import annotations

import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from televisit import clock
from televisit.extensions import db
from tests import factories as f

MON = "2027-03-08"


def scrape(client, **kw) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) -> value, from /metrics as this machine reads it."""
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.get_data(as_text=True))
        for s in family.samples
    }


def value(samples: dict, metric: str, /, **labels) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


def _book(client, headers, p, start: str, **extra):
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "in_person", "start": start, **extra}
    return client.post("/api/v1/appointments", json=body, headers=headers)


# --- who may read them --------------------------------------------------------------------------------------------

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


def test_metrics_answer_this_machine_only_without_the_token(app, client):
    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE televisit_http_request_duration_seconds histogram" in r.get_data(as_text=True)
    r = client.get("/metrics", environ_base=ELSEWHERE)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # nginx on this machine relays the world's requests from 127.0.0.1: a proxy header means "from elsewhere"
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 401
    r = client.get("/metrics", environ_base=ELSEWHERE, headers={"Authorization": "Bearer guess"})
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_metrics_answer_the_token_from_anywhere_and_no_other_bearer(app, client):
    f.program()
    token = "m" * 40
    app.config["METRICS_TOKEN"] = token
    ok = client.get("/metrics", environ_base=ELSEWHERE, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and "televisit_bookings_total" in ok.get_data(as_text=True)
    api_user = f.token(client, "admin@example.org")  # an admin's API token is not the metrics token
    assert client.get("/metrics", environ_base=ELSEWHERE, headers=api_user).status_code == 403
    wrong = {"Authorization": f"Bearer {token[:-1]}x"}
    assert client.get("/metrics", environ_base=ELSEWHERE, headers=wrong).status_code == 403


# --- what they count ----------------------------------------------------------------------------------------------


def test_requests_are_counted_by_endpoint_and_status_never_by_path(client):
    f.program()
    headers = f.token(client, "sched@example.org")
    before = scrape(client)
    for _ in range(3):
        assert client.get("/api/v1/appointments/987654", headers=headers).status_code == 404
    assert client.get("/no/such/page/555444").status_code == 404
    after = scrape(client)
    labels = {"endpoint": "api.get_appointment", "method": "GET", "status": "404"}
    name = "televisit_http_request_duration_seconds_count"
    assert value(after, name, **labels) - value(before, name, **labels) == 3
    unmatched = {"endpoint": "(unmatched)", "method": "GET", "status": "404"}
    assert value(after, name, **unmatched) - value(before, name, **unmatched) == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "987654" not in text and "555444" not in text and "/api/v1/appointments" not in text


def test_bookings_and_refusals_are_counted_by_kind_and_reason(client):
    p = f.program()
    patient, other = f.token(client, "pat@example.org"), f.token(client, "other@example.org")
    before = scrape(client)
    assert _book(client, patient, p, f"{MON}T09:00:00-05:00").status_code == 201
    assert _book(client, other, p, f"{MON}T09:00:00-05:00").status_code == 409  # taken
    assert _book(client, other, p, f"{MON}T08:00:00-05:00").status_code == 409  # before the clinic opens
    assert _book(client, other, p, "2027-03-08T09:00:00").status_code == 422  # no offset
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("televisit_bookings_total", kind="appointment") == 1
    assert delta("televisit_booking_refusals_total", kind="appointment", reason="taken") == 1
    assert delta("televisit_booking_refusals_total", kind="appointment", reason="outside_hours") == 1
    status_422 = {"endpoint": "api.create_appointment", "method": "POST", "status": "422"}
    assert delta("televisit_http_request_duration_seconds_count", **status_422) == 1


def test_slot_searches_are_timed(client):
    p = f.program()
    before = scrape(client)
    query = f"/api/v1/slots?visit_type_id={p.consult.id}&from=2027-03-08&to=2027-03-12"
    assert client.get(query + "&limit=3").status_code == 200
    assert client.get(query).status_code == 200
    after = scrape(client)
    name = "televisit_slot_search_duration_seconds"
    assert value(after, f"{name}_count") - value(before, f"{name}_count") == 2
    assert value(after, f"{name}_sum") > value(before, f"{name}_sum")


def test_the_outbox_backlog_and_its_oldest_due_message_and_what_was_sent(app, client):
    from jobs.runner import run_once

    p = f.program()
    assert _book(client, f.token(client, "pat@example.org"), p, f"{MON}T09:00:00-05:00").status_code == 201
    now = scrape(client)
    assert value(now, "televisit_outbox_due_messages", channel="email") == 1  # the confirmation
    assert value(now, "televisit_outbox_oldest_due_age_seconds", channel="email") == 0
    clock.freeze(clock.now() + timedelta(minutes=10))  # the dispatcher has been away for ten minutes
    later = scrape(client)
    assert value(later, "televisit_outbox_oldest_due_age_seconds", channel="email") == 600
    assert value(later, "televisit_outbox_due_messages", channel="sms") == 0
    started = time.time()
    db.session.commit()
    dict(run_once(app))  # `flask jobs run-once`: the dev outbox "sends" it
    sent = scrape(client)
    assert value(sent, "televisit_outbox_due_messages", channel="email") == 0
    assert value(sent, "televisit_outbox_oldest_due_age_seconds", channel="email") == 0
    assert (
        value(sent, "televisit_messages_sent_total", channel="email")
        - value(later, "televisit_messages_sent_total", channel="email")
        == 1
    )
    for job in ("heartbeat", "dispatch_outbox", "reconcile_outbox", "offer_freed_slots", "waiting_room_sweep"):
        assert value(sent, "televisit_job_last_success_timestamp_seconds", name=job) >= int(started), job


def test_failed_sends_are_counted_by_channel_and_error(sms):
    from tests.conftest import UK_PHONE
    from tests.support.fake_twilio import Script

    client = sms.m.client
    sms.m.twilio.scripts[UK_PHONE] = Script(fail_5xx=1)  # Twilio answers 500 once: a transient failure
    before = scrape(client)
    sms.book()
    sms.m.run_jobs()
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("televisit_messages_failed_total", channel="sms", error="transient") == 1
    assert delta("televisit_messages_failed_total", channel="email", error="transient") == 0
    assert delta("televisit_messages_sent_total", channel="email") >= 1


def test_a_database_that_does_not_answer_leaves_out_the_backlog_not_the_scrape(app, client):
    from tests.support.live_server import free_port

    app.config["SQLALCHEMY_DATABASE_URI"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
    try:
        r = client.get("/metrics")
    finally:
        app.config["SQLALCHEMY_DATABASE_URI"] = str(db.engine.url.render_as_string(hide_password=False))
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "televisit_http_request_duration_seconds" in text
    assert "televisit_outbox_due_messages{" not in text
