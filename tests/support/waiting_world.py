"""A clinic morning for the waiting-room tests: data written in the test process, a live server, real clients.

Monday 2027-03-01 at the Cleveland site (America/New_York); the server's clock starts at 09:05 and runs on.
Dr. Cleveland (licensed US-OH, US-FL) sees 10-minute visits from 08:00 to 12:00, so a visit at 09:30 can
check in now, one at 10:30 cannot yet, and one at 08:40 is over.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from flask import Flask

from televisit.extensions import db
from televisit.models import Appointment
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.messaging import links
from tests import factories as f
from tests.support.live_server import SECRET, LiveServer, Peer, fresh_database

NY = ZoneInfo("America/New_York")
DAY = "2027-03-01"
SERVER_NOW = datetime(2027, 3, 1, 9, 5, tzinfo=NY)
PATIENTS = ("ada", "bob", "cy", "dee", "eve")
DOC = "doc@x.org"


@dataclass
class Live:
    """A running server and an app (in the test process) on the same database."""

    server: LiveServer
    app: Flask


@contextlib.contextmanager
def live_server(
    kind: str, *, redis_url: str | None = None, servers: int = 1, extra_env: dict | None = None
) -> Iterator[list[Live]]:
    """`servers` live server processes on one fresh database (each with its own port and public URL)."""
    from tests.conftest import _make_app

    channel = f"televisit-test-{uuid.uuid4().hex}"  # this world's own: other runs may share the Redis
    with fresh_database(kind) as url:
        started: list[LiveServer] = []
        try:
            for _ in range(servers):
                server = LiveServer(url, now=SERVER_NOW, redis_url=redis_url, channel=channel, extra_env=extra_env)
                started.append(server.start())
            app = _make_app(url)
            app.config["SOCKETIO_CHANNEL"] = channel
            yield [Live(s, app) for s in started]
            with app.app_context():
                db.engine.dispose()
        finally:
            for s in started:
                s.stop()


def at(hhmm: str) -> datetime:
    """An instant on the test Monday at the Cleveland site."""
    return datetime.fromisoformat(f"{DAY}T{hhmm}:00").replace(tzinfo=NY)


@dataclass
class World:
    """The program, its people, and helpers to book, connect and read back through the live server."""

    live: Live
    ids: dict = field(default_factory=dict)
    peers: list[Peer] = field(default_factory=list)
    tokens: dict = field(default_factory=dict)
    scheduler: object = None

    @property
    def server(self) -> LiveServer:
        return self.live.server

    def build(self) -> World:
        """Location, a 10-minute visit type, two clinicians, a scheduler, five Ohio patients; committed."""
        cle = f.location()
        quick = f.visit_type("Quick check", minutes=10)
        rules = [(cle, 0, 8 * 60, 12 * 60, ("virtual", "in_person"))]
        doc = f.clinician("Dr. Cleveland", visit_types=[quick], rules=rules, licenses=("US-OH", "US-FL"), email=DOC)
        other = f.clinician("Dr. Other", visit_types=[quick], rules=rules, licenses=("US-OH",), email="other@x.org")
        f.user(DOC, "clinician", name="Dr. Cleveland")
        f.user("other@x.org", "clinician", name="Dr. Other")
        self.scheduler = actor_of(f.user("sched@x.org", "scheduler"))
        for name in PATIENTS:
            u = f.user(f"{name}@x.org", "patient", region="US-OH", name=name.title())
            self.ids[name] = u.patient_id
        self.ids |= {"location": cle.id, "visit_type": quick.id, "doc": doc.id, "other_doc": other.id}
        db.session.commit()
        return self

    def book(self, who: str, hhmm: str, *, mode: str = "virtual", doc: str = "doc", region: str = "US-OH") -> int:
        """Book `who` at local `hhmm` (as the scheduler, the day before); returns the appointment id."""
        slot = SlotRequest(
            visit_type_id=self.ids["visit_type"],
            clinician_id=self.ids[doc],
            location_id=self.ids["location"],
            mode=mode,
            start=at(hhmm),
            patient_region=region,
        )
        req = booking.BookingRequest(slot, patient_id=self.ids[who])
        appointment_id = booking.book(db.session, req, actor=self.scheduler, now=SERVER_NOW - timedelta(days=1)).id
        db.session.commit()  # reading the id began a transaction; on SQLite it would hold the server's writes
        return appointment_id

    def set_status(self, appointment_id: int, status: str) -> None:
        """Force a status in the database (setting up a state the clinic reached earlier)."""
        db.session.get(Appointment, appointment_id).status = status
        db.session.commit()

    def token(self, who: str) -> str:
        """A bearer token for `who` (ada, doc, sched, ...), from the live server."""
        if who not in self.tokens:
            self.tokens[who] = self.server.token(f"{who}@x.org", f.PASSWORD)
        return self.tokens[who]

    def peer(self, who: str, *, connect: bool = True, server: LiveServer | None = None) -> Peer:
        """A client signed in with `who`'s bearer token (on `server`, default the world's)."""
        url = (server or self.server).url
        return self._keep(Peer(url, auth={"token": self.token(who)}, name=who), connect)

    def join_token(self, appointment_id: int, sequence: int | None = None) -> str:
        """A signed join link token for the appointment (at its current sequence unless given)."""
        appt = db.session.get(Appointment, appointment_id)
        seq = appt.sequence if sequence is None else sequence
        token = links.sign(SECRET, "join", appt.id, seq, appt.end_at + timedelta(days=1))
        db.session.commit()
        return token

    def join_peer(self, appointment_id: int, *, token: str | None = None, connect: bool = True) -> Peer:
        """A client holding the appointment's join link."""
        auth = {"join": token or self.join_token(appointment_id)}
        return self._keep(Peer(self.server.url, auth=auth, name=f"join:{appointment_id}"), connect)

    def cookie_peer(self, who: str) -> Peer:
        """A client using the session cookie of a browser that signed in on /login."""
        s = requests.Session()
        page = s.get(f"{self.server.url}/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = s.post(
            f"{self.server.url}/login",
            data={"email": f"{who}@x.org", "password": f.PASSWORD, "csrf_token": csrf},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 302, r.text[:300]
        cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
        return self._keep(Peer(self.server.url, headers={"Cookie": cookie}, name=f"cookie:{who}"), True)

    def _keep(self, peer: Peer, connect: bool) -> Peer:
        self.peers.append(peer)
        return peer.connect() if connect else peer

    def appointment(self, appointment_id: int) -> dict:
        """GET /api/v1/appointments/<id> on the live server (as the scheduler)."""
        r = self.server.api("GET", f"/appointments/{appointment_id}", self.token("sched"))
        assert r.status_code == 200, r.text
        return r.json()

    def close(self) -> None:
        """Disconnect every client."""
        for p in self.peers:
            with contextlib.suppress(Exception):
                p.close()


def world(live: Live) -> Iterator[World]:
    """A fresh World on the live server's database (tables wiped before), closed after."""
    from tests.conftest import _wipe

    with live.app.app_context():
        _wipe()
        w = World(live).build()
        try:
            yield w
        finally:
            w.close()
            db.session.remove()
