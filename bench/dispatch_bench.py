"""Outbox dispatch benchmark on PostgreSQL: 10,000 due SMS through the real Twilio SDK to a local fake Twilio.

    python -m bench.dispatch_bench             # builds database televisit_bench_dispatch, measures, prints
    python -m bench.dispatch_bench --help

It creates a fresh database (dropped afterwards unless --keep), migrates it with Flask-Migrate and
inserts N virtual appointments, one patient (own phone) each, with a due 2-hour SMS in the outbox.
Then it runs the real jobs process (`flask --app wsgi jobs run-once`, --processes of them at once)
with TWILIO_API_BASE_URL pointing at tests/support/fake_twilio.FakeTwilio (status callbacks off) and
the rate limit off, and counts what the fake received: throughput, lost and duplicated messages.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.booking_bench import drop_database, load_average, machine, make_app, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET = 200.0  # messages per second


def log(msg: str) -> None:
    print(msg, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.dispatch_bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--admin-url",
        default=os.environ.get("TELEVISIT_BENCH_PG_URL", DEFAULT_ADMIN_URL),
        help="PostgreSQL URL of a maintenance database used to create/drop the bench database",
    )
    p.add_argument("--db-name", default="televisit_bench_dispatch", help="database to (re)create")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--messages", type=int, default=10_000, help="due SMS to dispatch (default 10000)")
    p.add_argument("--processes", type=int, default=1, help="jobs processes run at once (SKIP LOCKED shares)")
    p.add_argument("--now", default="2027-03-01T13:00:00+00:00", help="the jobs' clock (ISO instant)")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return p.parse_args(argv)


# --- data ----------------------------------------------------------------------------------------


def load(n: int, now: datetime) -> None:
    """N patients, N virtual Cleveland appointments an hour apart, and N due 2 h SMS rows, in bulk."""
    from televisit.extensions import db
    from televisit.models import Appointment, Clinician, Location, OutboxMessage, Patient, VisitType
    from televisit.services.outbox import key_for

    def bulk(model, rows: list[dict]) -> None:
        for lo in range(0, len(rows), 2000):
            db.session.execute(insert(model), rows[lo : lo + 2000])

    loc = Location(name="Cleveland", city="Cleveland", region="US-OH", country="US", timezone="America/New_York")
    vt = VisitType(name="Consult", duration_minutes=60, modes=["virtual", "in_person"], max_advance_days=3650)
    vt.buffer_before_minutes = vt.buffer_after_minutes = vt.min_notice_minutes = 0
    doc = Clinician(name="Dr. Bench", specialty="neurosurgery", licenses=["US-OH"])
    db.session.add_all([loc, vt, doc])
    db.session.commit()
    person = {"email": None, "timezone": "America/New_York", "region": "US-OH", "created_at": now}
    person |= {"sms_opt_in": True, "email_opt_in": False}
    bulk(Patient, [{**person, "name": f"Patient {i}", "phone": f"+1216{5_000_000 + i:07d}"} for i in range(n)])
    patients = list(db.session.scalars(select(Patient.id).order_by(Patient.id)))
    visit = {"clinician_id": doc.id, "location_id": loc.id, "visit_type_id": vt.id, "mode": "virtual"}
    visit |= {"status": "booked", "sequence": 0, "created_at": now, "updated_at": now}
    starts = [now + timedelta(hours=1 + i) for i in range(n)]
    bulk(
        Appointment,
        [
            {
                **visit,
                "uid": uuid.uuid4().hex,
                "patient_id": pid,
                "start_at": t,
                "end_at": t + timedelta(hours=1),
                "block_start": t,
                "block_end": t + timedelta(hours=1),
            }
            for pid, t in zip(patients, starts, strict=True)
        ],
    )
    appts = list(db.session.scalars(select(Appointment.id).order_by(Appointment.id)))
    row = {"rule": "2h", "channel": "sms", "sequence": 0, "status": "pending", "attempts": 0}
    row |= {"due_at": now, "next_attempt_at": now, "created_at": now}
    bulk(
        OutboxMessage,
        [
            {**row, "key": key_for(a, "2h", "sms", 0), "appointment_id": a, "patient_id": p}
            for a, p in zip(appts, patients, strict=True)
        ],
    )
    db.session.commit()


# --- run -----------------------------------------------------------------------------------------


def jobs_env(url: str, now: str, fake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_"))}
    env.update(
        TELEVISIT_DATABASE_URL=url,
        TELEVISIT_NOW=now,
        TELEVISIT_SECRET_KEY="bench-" + "k" * 40,
        TELEVISIT_ENV="development",
        TWILIO_ACCOUNT_SID="ACbench",
        TWILIO_AUTH_TOKEN=fake.auth_token,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.url,
        TWILIO_RATE_PER_SECOND="0",
    )
    return env


def dispatch(args, url: str, fake) -> dict:
    """Run the jobs process(es) to completion, printing progress; returns timings."""
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once"]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=jobs_env(url, args.now, fake),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(args.processes)
    ]
    outputs: list[str] = [""] * len(procs)

    def drain(i: int) -> None:
        outputs[i] = procs[i].stdout.read()

    readers = [threading.Thread(target=drain, args=(i,), daemon=True) for i in range(len(procs))]
    for r in readers:
        r.start()
    first = last = None
    seen, shown = 0, 0.0
    while any(p.poll() is None for p in procs):
        time.sleep(0.05)
        count = len(fake.messages)
        now = time.perf_counter()
        if count and first is None:
            first = now
        if count != seen:
            last, seen = now, count
        if now - shown >= 2 and first:
            shown = now
            log(f"  {count:>6,} / {args.messages:,} at the fake Twilio  ({count / max(now - first, 1e-9):,.0f}/s)")
    for r in readers:
        r.join(timeout=5)
    total = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    codes = [p.returncode for p in procs]
    if any(codes):
        log("\n".join(o[-3000:] for o in outputs))
    return {
        "codes": codes,
        "wall_s": total,
        "jobs_cpu_s": cpu,
        "first_to_last_s": (last - first) if first and last else None,
        "outputs": [o.strip().splitlines()[-3:] for o in outputs],
    }


def verify(fake) -> dict:
    """What the fake received against what the outbox says."""
    from televisit.extensions import db
    from televisit.models import OutboxMessage

    per_row = Counter(int(m["status_callback"].rsplit("o=", 1)[1]) for m in fake.messages)
    per_text = Counter((m["to"], m["body"]) for m in fake.messages)
    statuses = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    sent_ids = set(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")))
    return {
        "received": len(fake.messages),
        "duplicates": sum(v - 1 for v in per_row.values()) + sum(v - 1 for v in per_text.values()),
        "lost": len(sent_ids - set(per_row)) + statuses.get("pending", 0) + statuses.get("sending", 0),
        "statuses": statuses,
    }


def report(fig: dict) -> str:
    d, v = fig["dispatch"], fig["verify"]
    received = max(v["received"], 1)
    rate = fig["rate"]
    lines = [
        f"{'measure':<52} {'value':>12} {'target':>12} {'':>5}",
        "-" * 84,
        f"{'SMS dispatched (jobs run-once, ' + str(fig['args']['processes']) + ' process(es))':<52}"
        f" {v['received']:>12,} {fig['args']['messages']:>12,}",
        f"{'throughput, first to last message at the fake':<52} {rate:>10,.0f}/s {'>= 200/s':>12}"
        f" {'PASS' if rate >= TARGET else 'MISS':>5}",
        f"{'throughput incl. process start (wall)':<52} {v['received'] / d['wall_s']:>10,.0f}/s",
        f"{'CPU time of the jobs process(es) per message':<52} {1000 * d['jobs_cpu_s'] / received:>10.1f}ms",
        f"{'duplicates (per outbox row and per to+body)':<52} {v['duplicates']:>12} {'= 0':>12}"
        f" {'PASS' if not v['duplicates'] else 'MISS':>5}",
        f"{'lost (not received, or not settled)':<52} {v['lost']:>12} {'= 0':>12}"
        f" {'PASS' if not v['lost'] else 'MISS':>5}",
        f"{'outbox rows by status':<52} {json.dumps(v['statuses']):>12}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from televisit.extensions import db
    from tests.support.fake_twilio import FakeTwilio

    now = datetime.fromisoformat(args.now)
    log(f"==> database {args.db_name} (load average {load_average()})")
    url = recreate_database(args.admin_url, args.db_name)
    fig: dict = {"args": vars(args), "machine": machine()}
    fake = FakeTwilio(send_callbacks=False).start()
    try:
        app = make_app(url)
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            load(args.messages, now)
            log(f"  {args.messages:,} due SMS loaded in {time.perf_counter() - t0:.1f} s")
            log(f"==> dispatching with {args.processes} jobs process(es), rate limit off")
            fig["dispatch"] = dispatch(args, url, fake)
            fig["verify"] = verify(fake)
            db.session.remove()
            db.engine.dispose()
        span = fig["dispatch"]["first_to_last_s"] or fig["dispatch"]["wall_s"]
        fig["rate"] = fig["verify"]["received"] / span
        fig["load_after"] = load_average()
    finally:
        fake.stop()
        if not args.keep:
            drop_database(args.admin_url, args.db_name)
    log("")
    log(report(fig))
    log(
        f"\nmachine: {fig['machine']['cpus']} CPUs, {fig['machine']['cpu']}; Python {fig['machine']['python']};"
        f" load average after: {fig['load_after']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2, default=str))
    ok = fig["rate"] >= TARGET and not fig["verify"]["duplicates"] and not fig["verify"]["lost"]
    ok = ok and not any(fig["dispatch"]["codes"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
