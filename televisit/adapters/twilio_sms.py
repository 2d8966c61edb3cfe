"""SMS through the real Twilio Python SDK, sent to TWILIO_API_BASE_URL (a local fake in tests).

Timeouts and errors are sorted into the dispatcher's three kinds:
* Transient: a 5xx answer, a refused connection or a connect timeout — nothing was accepted.
* Unknown: a read timeout — the request left and may have been accepted; reconcile, never resend blindly.
* Permanent: a 4xx answer with a Twilio error code (21610 opted out, 21211/21614 invalid or not mobile...).
"""

from __future__ import annotations

from datetime import datetime

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from televisit.adapters.base import OutgoingSMS, Permanent, Transient, Unknown

TWILIO_BASE = "https://api.twilio.com"


class BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, pointed at another base URL, with a timeout on every request."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_BASE) and self.base_url != TWILIO_BASE:
            url = self.base_url + url[len(TWILIO_BASE) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSms:
    """SmsSender over the Twilio SDK."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str = TWILIO_BASE,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        timeout: float = 10.0,
    ):
        if not (from_number or messaging_service_sid):
            raise ValueError("set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.client = Client(account_sid, auth_token, http_client=BaseUrlHttpClient(base_url, timeout))
        self.from_number, self.service_sid = from_number, messaging_service_sid

    def send_sms(self, msg: OutgoingSMS) -> str:
        """Create the message; returns its SID."""
        kwargs = {"to": msg.to, "body": msg.body}
        if self.service_sid:
            kwargs["messaging_service_sid"] = self.service_sid
        else:
            kwargs["from_"] = self.from_number
        if msg.status_callback:
            kwargs["status_callback"] = msg.status_callback
        try:
            return self.client.messages.create(**kwargs).sid
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except requests.ReadTimeout as exc:  # the request left: it may have been accepted
            raise Unknown("Twilio did not answer in time; the message may have been accepted") from exc
        except requests.RequestException as exc:
            if _never_left(exc):
                raise Transient(f"Twilio unreachable: {type(exc).__name__}") from exc
            raise Unknown(f"the connection to Twilio broke mid-request: {type(exc).__name__}") from exc

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The SID of a message Twilio already has for `to` with this `body`, sent after `since`."""
        try:
            found = self.client.messages.list(to=to, date_sent_after=since, limit=50)
        except (TwilioRestException, requests.RequestException) as exc:
            raise Transient(f"could not ask Twilio about earlier sends: {exc}") from exc
        return next((m.sid for m in found if m.body == body), None)


def _never_left(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach Twilio (connect timeout, refused, DNS)."""
    return isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc.args)


def _classify(exc: TwilioRestException):
    if exc.status >= 500 or exc.status == 429:
        return Transient(f"Twilio {exc.status}: {exc.msg}", code=exc.code)
    return Permanent(f"Twilio {exc.status}: {exc.msg}", code=exc.code)
