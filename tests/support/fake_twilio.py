"""A local fake of the Twilio REST API (Messages create + list) for the real Twilio SDK to talk to.

Start it with `FakeTwilio().start()`; point TWILIO_API_BASE_URL at `.url`. Behaviour per destination
number is scripted with `.script(to, ...)`: a Twilio error code, N 5xx answers before success, or a
delay longer than the client's timeout (the message is still accepted, as a real timeout can be).
Accepted messages are recorded; status callbacks ("sent", "delivered") are posted, signed with the
auth token exactly as Twilio signs them, to the StatusCallback URL given at send time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests
from twilio.request_validator import RequestValidator

ERROR_TEXT = {
    21610: "Attempt to send to unsubscribed recipient",
    21211: "Invalid 'To' Phone Number",
    21614: "'To' number is not a valid mobile number",
}


@dataclass
class Script:
    """How the fake answers for one destination number."""

    error_code: int | None = None
    fail_5xx: int = 0  # answer 500 this many times, then accept
    delay: float = 0.0  # seconds to wait before answering (the message is accepted first)
    delay_times: int = 1_000_000


@dataclass
class FakeTwilio:
    """The fake server. `messages` lists accepted messages (dicts) in order; `requests` every create call."""

    auth_token: str = "test-auth-token"
    callback_delay: float = 0.05
    messages: list[dict] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each accepted message
    requests: list[dict] = field(default_factory=list)
    scripts: dict[str, Script] = field(default_factory=dict)
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    send_callbacks: bool = True

    def __post_init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def script(self, to: str, **kwargs) -> None:
        self.scripts[to] = Script(**kwargs)

    def bodies_to(self, to: str) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.messages if m["to"] == to]

    # -- behaviour -----------------------------------------------------------------------------
    def create(self, form: dict[str, str]) -> tuple[int, dict, float]:
        to = form.get("To", "")
        with self._lock:
            self.requests.append(dict(form))
            script = self.scripts.get(to, Script())
            if script.error_code:
                code = script.error_code
                return (
                    400,
                    {
                        "code": code,
                        "message": ERROR_TEXT.get(code, "error"),
                        "status": 400,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    },
                    0.0,
                )
            if script.fail_5xx > 0:
                script.fail_5xx -= 1
                return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}, 0.0
            delay = 0.0
            if script.delay and script.delay_times > 0:
                script.delay_times -= 1
                delay = script.delay
            msg = self._accept(form)
        return 201, msg, delay

    def _accept(self, form: dict[str, str]) -> dict:
        sid = f"SM{next(self._ids):032x}"
        now = datetime.now(timezone.utc)
        msg = {
            "sid": sid,
            "account_sid": "ACtest",
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": format_datetime(now),
            "uri": f"/2010-04-01/Accounts/ACtest/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        self.messages.append(msg)
        self.accepted_at.append(time.monotonic())
        if self.send_callbacks and form.get("StatusCallback"):
            threading.Thread(target=self._callbacks, args=(msg,), daemon=True).start()
        return msg

    def _callbacks(self, msg: dict) -> None:
        time.sleep(self.callback_delay)
        for status in ("sent", "delivered"):
            params = {"MessageSid": msg["sid"], "MessageStatus": status, "To": msg["to"], "AccountSid": "ACtest"}
            url = msg["status_callback"]
            signature = RequestValidator(self.auth_token).compute_signature(url, params)
            try:
                r = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5)
                self.callbacks.append((status, r.status_code))
            except requests.RequestException:
                self.callbacks.append((status, 0))

    def listing(self, query: dict[str, list[str]]) -> dict:
        to = (query.get("To") or [None])[0]
        with self._lock:
            found = [m for m in self.messages if to in (None, m["to"])]
        return {
            "messages": list(reversed(found)),
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "uri": "/2010-04-01/Accounts/ACtest/Messages.json",
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        if not urlparse(self.path).path.endswith("/Messages.json"):
            return self._json(404, {"code": 20404, "message": "not found", "status": 404})
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        status, payload, delay = self.fake.create(form)
        if delay:
            time.sleep(delay)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out or was killed
            self._json(status, payload)

    def do_GET(self):  # noqa: N802
        parsed = urlparse(self.path)
        if not parsed.path.endswith("/Messages.json"):
            return self._json(404, {"code": 20404, "message": "not found", "status": 404})
        self._json(200, self.fake.listing(parse_qs(parsed.query)))
