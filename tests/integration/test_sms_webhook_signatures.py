"""Both Twilio webhooks accept only requests signed with our auth token for our public URL (else 403)."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.conftest import UK_PHONE

INBOUND = "/webhooks/twilio/sms"


def sign(token: str, url: str, params: dict) -> str:
    return RequestValidator(token).compute_signature(url, params)


def inbound_params() -> dict:
    return {"From": UK_PHONE, "To": "+15005550006", "Body": "HELP", "MessageSid": "SM" + "1" * 32}


@pytest.fixture
def sent(sms, messaging):
    """A confirmation SMS that went out; returns (status path with its query, outbox row id)."""
    messaging.twilio.send_callbacks = False  # the test plays Twilio's delivery report itself
    sms.book()
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert row.status == "sent" and row.provider_status is None
    return f"/webhooks/twilio/status?o={row.id}", row.id


def status_params(status: str = "delivered") -> dict:
    return {"MessageSid": "SM" + "2" * 32, "MessageStatus": status, "To": UK_PHONE, "AccountSid": "ACtest"}


def post(messaging, path: str, params: dict, signature: str | None):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return messaging.client.post(path, data=params, headers=headers)


def test_inbound_with_a_correct_signature_is_answered(messaging, sms):
    params, url = inbound_params(), messaging.app.config["PUBLIC_URL"] + INBOUND
    r = post(messaging, INBOUND, params, sign(messaging.twilio.auth_token, url, params))
    assert r.status_code == 200 and r.mimetype == "text/xml" and b"<Message>" in r.data


def test_status_with_a_correct_signature_records_delivery(messaging, sms, sent):
    path, row_id = sent
    params = status_params()
    url = messaging.app.config["PUBLIC_URL"] + path  # the query string is part of what Twilio signs
    r = post(messaging, path, params, sign(messaging.twilio.auth_token, url, params))
    assert r.status_code == 204
    assert sms.row(id=row_id).provider_status == "delivered"


def _forgeries(token: str, public: str, path: str, params: dict):
    """(name, params sent, signature) for each way a request can fail validation."""
    good = sign(token, public + path, params)
    bare_path = path.split("?", 1)[0]
    yield "missing", params, None
    yield "empty", params, ""
    yield "garbage", params, "bm90IGEgc2lnbmF0dXJl"
    yield "other token", params, sign("not-our-token", public + path, params)
    yield "other host", params, sign(token, "https://evil.example" + path, params)
    yield "other scheme", params, sign(token, public.replace("http://", "https://") + path, params)
    yield "other path", params, sign(token, public + bare_path + "x" + path[len(bare_path) :], params)
    yield "other query", params, sign(token, public + bare_path + "?o=999999", params)
    yield "tampered", {**params, "To": "+15555550100", "MessageStatus": "failed", "Body": "STOP"}, good
    yield "extra param", {**params, "ErrorCode": "21610"}, good


def _assert_all_refused(messaging, path: str, params: dict) -> None:
    token, public = messaging.twilio.auth_token, messaging.app.config["PUBLIC_URL"]
    refused = []
    for name, sent_params, signature in _forgeries(token, public, path, params):
        refused.append((name, post(messaging, path, sent_params, signature).status_code))
    assert refused == [(name, 403) for name, _ in refused]


def test_inbound_refuses_every_forgery_and_changes_nothing(messaging, sms):
    params = {**inbound_params(), "Body": "START"}
    _assert_all_refused(messaging, INBOUND, params)
    assert sms.phone_state() is None  # nobody's opt-out state moved on a forged STOP


def test_status_refuses_every_forgery_and_changes_nothing(messaging, sms, sent):
    path, row_id = sent
    _assert_all_refused(messaging, path, status_params())
    row = sms.row(id=row_id)
    assert row.provider_status is None and row.status == "sent"
    assert sms.phone_state() is None  # a forged ErrorCode 21610 opted nobody out


@pytest.mark.parametrize("token", [None, ""])
def test_without_an_auth_token_configured_everything_is_refused(messaging, sms, sent, token):
    path, row_id = sent
    real = messaging.twilio.auth_token
    messaging.app.config["TWILIO_AUTH_TOKEN"] = token
    public = messaging.app.config["PUBLIC_URL"]
    for target, params in ((INBOUND, inbound_params()), (path, status_params())):
        for signing_token in (real, ""):
            r = post(messaging, target, params, sign(signing_token, public + target, params))
            assert r.status_code == 403, (target, signing_token)
    assert sms.row(id=row_id).provider_status is None


def test_only_post_is_routed(messaging, sms):
    assert messaging.client.get(INBOUND).status_code == 405
