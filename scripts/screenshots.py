"""Screenshots of the main pages at phone (390x844) and desktop (1440x900) sizes, saved under docs/screenshots/.

Starts the demo service (`flask --app wsgi serve`) on a temporary SQLite database with TELEVISIT_NOW fixed at
Monday 1 March 2027, 09:05 in Cleveland, loads the demo program and a morning of visits, signs in as each role
and saves one PNG per page and size. Needs Chromium at /usr/bin/chromium (never `playwright install`).

    python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = "2027-03-01T09:05:00-05:00"
NY = "America/New_York"
PASSWORD = "televisit-demo"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PATIENT, SCHEDULER = "patient@demo.televisit.local", "scheduler@demo.televisit.local"
CLINICIAN, ADMIN = "amara.okafor@demo.televisit.local", "admin@demo.televisit.local"


def environment(db_url: str, port: int) -> dict:
    """The demo service's environment: its own database, a fixed clock, the dev outbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_"))}
    return env | {
        "TELEVISIT_DATABASE_URL": db_url,
        "TELEVISIT_NOW": NOW,
        "TELEVISIT_ENV": "development",
        "TELEVISIT_SECRET_KEY": "screenshots-secret-0123456789abcdef0123",
        "TELEVISIT_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def flask(env: dict, *args: str) -> None:
    """Run one `flask --app wsgi ...` command."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def _book(session, actor, patient, visit, doc, site, mode, start, region, now):
    from televisit.services.booking import appointments as booking
    from televisit.services.booking.check import SlotRequest

    slot = SlotRequest(visit.id, doc.id, site.id, mode, start, region)
    return booking.book(session, booking.BookingRequest(slot, patient.id), actor=actor, now=now)


def demo_morning(env: dict) -> dict:
    """Visits today and this week, a waiting patient and an urgent case, written through the services."""
    os.environ.update(env)
    from sqlalchemy import select

    from televisit import create_app
    from televisit.domain.timezones import parse_instant
    from televisit.domain.triage import IntakeAnswers
    from televisit.extensions import db
    from televisit.models import Clinician, Location, Patient, User, VisitType
    from televisit.services.auth import actor_of
    from televisit.services.patients import intake
    from televisit.services.patients import records as patients

    app = create_app()
    with app.app_context():
        s = db.session
        now = parse_instant(NOW)
        earlier = now - timedelta(days=7)
        one = lambda model, **kw: s.scalars(select(model).filter_by(**kw)).one()  # noqa: E731
        actor = actor_of(one(User, email=SCHEDULER))
        okafor, whitfield = (
            one(Clinician, email=CLINICIAN),
            one(Clinician, email="james.whitfield@demo.televisit.local"),
        )
        cle, lon = one(Location, name="Cleveland Main Campus"), one(Location, name="London Spine Centre")
        follow, second = one(VisitType, name="Follow-up"), one(VisitType, name="Second opinion")
        pat = one(Patient, email=PATIENT)
        pat.region, pat.phone = "US-OH", "+12165550100"
        people = [
            patients.create_patient(s, dict(name=n, email=e, phone=ph, timezone=tz, region=r), now=earlier)
            for n, e, ph, tz, r in (
                ("Maria Lopez", "maria@example.org", "+12165550101", "America/New_York", "US-OH"),
                ("Tom Baker", "tom@example.org", "+447700900101", "Europe/London", "GB"),
                ("Grace Kim", "grace@example.org", "+13055550102", "America/New_York", "US-FL"),
            )
        ]
        at = lambda text: datetime.fromisoformat(text)  # noqa: E731
        visit = _book(s, actor, pat, follow, okafor, cle, "virtual", at("2027-03-01T09:30:00-05:00"), "US-OH", earlier)
        _book(s, actor, people[0], follow, okafor, cle, "in_person", at("2027-03-01T10:30:00-05:00"), "US-OH", earlier)
        _book(s, actor, people[2], second, okafor, cle, "virtual", at("2027-03-03T09:00:00-05:00"), "US-FL", earlier)
        _book(s, actor, people[1], second, whitfield, lon, "virtual", at("2027-03-01T15:00:00+00:00"), "GB", earlier)
        _book(s, actor, people[0], second, okafor, cle, "virtual", at("2027-03-08T08:00:00-05:00"), "US-OH", earlier)
        answers = IntakeAnswers(
            ("weakness", "walking"), ("weakness_walking",), "days", "rapidly_worse", "moderate", "no", "no"
        )
        rose = patients.create_patient(
            s,
            dict(name="Rose Ohio", email="rose@example.org", phone="+12165550199", timezone="America/New_York"),
            now=now,
        )
        intake.submit(s, rose.id, answers, need="new", now=now - timedelta(minutes=12))
        s.commit()
        ids = {"visit": visit.id} | _care_ids(s) | _board_ids(s)
        db.engine.dispose()
    return ids


def _care_ids(s) -> dict:
    """The demo patient's own clinic day, another patient's whole day as the desk sees it, and a course."""
    from sqlalchemy import select

    from televisit.models import Course, Itinerary, Patient

    mine = s.scalars(select(Patient.id).where(Patient.email == PATIENT)).one()
    days = s.scalars(select(Itinerary).order_by(Itinerary.id)).all()
    own = next(d.id for d in days if d.patient_id == mine)
    other = next(d.id for d in days if d.patient_id != mine)
    course = s.scalars(select(Course.id).where(Course.count == 5)).first()
    return {"day": own, "desk_day": other, "course": course}


def _board_ids(s) -> dict:
    """The demo tumor board and its next session (the seed lists three cases on it)."""
    from sqlalchemy import select

    from televisit.models import Board, BoardCase

    board = s.scalars(select(Board.id).where(Board.name == "Spine tumor board")).one()
    day = s.scalars(select(BoardCase.day).where(BoardCase.board_id == board).order_by(BoardCase.day)).first()
    return {"board": board, "board_day": day.isoformat()}


def start_server(env: dict, port: int) -> subprocess.Popen:
    """The demo service, answering /healthz."""
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the demo service did not start")


def pages(ids: dict) -> list[tuple[str, str | None, str]]:
    """(name, who signs in, path) for each screenshot."""
    return [
        ("home", None, "/"),
        ("find-care", PATIENT, "/find-care"),
        ("my-appointments", PATIENT, "/appointments"),
        ("waiting-room", PATIENT, f"/waiting-room/{ids['visit']}"),
        ("clinic-day", PATIENT, f"/appointments/days/{ids['day']}"),
        ("clinic-dashboard", CLINICIAN, "/clinic"),
        ("clinic-today", CLINICIAN, "/clinic/today"),
        ("scheduler-calendar", SCHEDULER, "/schedule?view=week&location_id=1&specialty=neurosurgery"),  # the week grid
        ("scheduler-day", SCHEDULER, "/schedule?view=day&date=2027-03-01"),
        ("desk-clinic-day", SCHEDULER, f"/schedule/days/{ids['desk_day']}"),
        ("desk-course", SCHEDULER, f"/schedule/courses/{ids['course']}"),
        ("urgent-queue", SCHEDULER, "/schedule/urgent"),
        ("availability", SCHEDULER, "/schedule/clinicians/1/availability"),
        ("admin", ADMIN, "/admin"),
        ("admin-visit-types", ADMIN, "/admin/visit-types"),
        ("board-agenda", CLINICIAN, f"/board/{ids['board']}/{ids['board_day']}"),
    ]


def settle(page) -> None:
    """Wait for the page's own requests (the calendar's JSON); a live page's socket may never fall idle."""
    from playwright.sync_api import TimeoutError as Timeout

    with contextlib.suppress(Timeout):
        page.wait_for_load_state("networkidle", timeout=5000)
    page.wait_for_timeout(400)  # live pages: let the socket's first update land


def shoot(base_url: str, out: Path, ids: dict, only: set[str] | None = None) -> list[Path]:
    """Sign in as each role and save every page (or only those named) at each size."""
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for size, viewport in SIZES.items():
            contexts: dict = {}
            for name, who, path in pages(ids):
                if only and name not in only:
                    continue
                if who not in contexts:
                    contexts[who] = browser.new_context(viewport=viewport, base_url=base_url)
                    if who:
                        login = contexts[who].new_page()
                        login.goto("/login")
                        login.get_by_label("Email").fill(who)
                        login.get_by_label("Password").fill(PASSWORD)
                        login.get_by_role("button", name="Sign in").click()
                        login.wait_for_url(lambda url: "/login" not in url)  # a live page never idles
                        login.close()
                page = contexts[who].new_page()
                page.goto(path)
                settle(page)
                target = out / f"{name}-{size}.png"
                page.screenshot(path=str(target), full_page=size == "phone")
                saved.append(target)
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--only", action="append", help="a page's name (e.g. board-agenda); repeat for more")
    opts = parser.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='televisit-shots-')) / 'demo.db'}"
    env = environment(db_url, opts.port)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--with-users")
    ids = demo_morning(env)
    server = start_server(env, opts.port)
    try:
        for path in shoot(f"http://127.0.0.1:{opts.port}", out, ids, set(opts.only or ())):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
