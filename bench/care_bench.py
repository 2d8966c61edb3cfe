"""Care benchmark on PostgreSQL: clinic-day options, the earliest course, and booking a day over HTTP.

    python -m bench.care_bench            # builds database televisit_care_bench, measures, prints a table

The booking benchmark's data (3 sites, 60 clinicians, 5,000 appointments) plus an MRI scanner at each
site and a linear accelerator at Cleveland and London (weekdays 07:00-19:00); "Surveillance MRI" needs
the scanner and "Radiosurgery treatment" the linac. Measured in-process (services, each call in a fresh
session as a request would be) and over HTTP against gunicorn (sync workers).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import timedelta

from sqlalchemy import text

from bench.booking_bench import drop_database, load, load_average, machine, make_app, recreate_database
from bench.measure import log, stats, timed
from bench.server import Client, Server

TARGETS = {"day_options": 50.0, "course": 30.0, "book_day_p95": 100.0}
STEPS = ["Surveillance MRI", "New patient consultation", "Radiosurgery planning"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.care_bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--admin-url",
        default=os.environ.get("TELEVISIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--db-name", default="televisit_care_bench")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--now", default="2027-03-01T13:00:00+00:00")
    p.add_argument("--clinicians", type=int, default=60)
    p.add_argument("--appointments", type=int, default=5000)
    p.add_argument("--patients", type=int, default=2000)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--days", type=int, default=28, help="clinic-day options window")
    p.add_argument("--course-days", type=int, default=60, help="course options window")
    p.add_argument("--bookings", type=int, default=60, help="clinic days booked over HTTP")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", metavar="PATH")
    return p.parse_args(argv)


def add_care(ds, radonc_site: int) -> dict:
    """Scanners, linacs, the resources the visit types need, and the pathway."""
    from televisit.extensions import db
    from televisit.models import Pathway, Resource, ResourceRule, VisitType

    hours = [ResourceRule(weekday=wd, start_minute=7 * 60, end_minute=19 * 60) for wd in range(5)]
    made = [
        Resource(name=f"MRI {i}", kind="mri", location_id=site, rules=[ResourceRule(**_r(h)) for h in hours])
        for i, site in enumerate(ds.site_ids)
    ]
    made += [
        Resource(name=f"Linac {i}", kind="linac", location_id=site, rules=[ResourceRule(**_r(h)) for h in hours])
        for i, site in enumerate(dict.fromkeys([radonc_site, ds.site_ids[0]]))
    ]
    db.session.add_all(made)
    db.session.get(VisitType, ds.visit_type_ids["Surveillance MRI"]).resource_kinds = ["mri"]
    db.session.get(VisitType, ds.visit_type_ids["Radiosurgery treatment"]).resource_kinds = ["linac"]
    steps = [{"visit_type_id": ds.visit_type_ids[n], "mode": "in_person"} for n in STEPS]
    pathway = Pathway(name="New spinal metastasis day", steps=steps, min_gap_minutes=15, max_gap_minutes=180)
    db.session.add(pathway)
    db.session.commit()
    return {"pathway_id": pathway.id, "resources": len(made), "linac_site": radonc_site}


def _r(rule) -> dict:
    return {"weekday": rule.weekday, "start_minute": rule.start_minute, "end_minute": rule.end_minute}


def radiation_oncologist() -> tuple[int, int]:
    """The first radiation oncologist and the site they work at (a linac goes there)."""
    from televisit.extensions import db
    from televisit.models import AvailabilityRule, Clinician

    stmt = (
        db.session.query(Clinician.id, AvailabilityRule.location_id)
        .join(AvailabilityRule, AvailabilityRule.clinician_id == Clinician.id)
        .filter(Clinician.specialty == "radiation_oncology")
        .order_by(Clinician.id)
    )
    return tuple(stmt.first())


def in_process(ds, care, args, now) -> dict:
    from televisit.domain.timezones import get_zone, local_date
    from televisit.extensions import db
    from televisit.services.pathways import courses
    from televisit.services.pathways.catalog import get_pathway
    from televisit.services.pathways.options import OptionsQuery, day_options

    zone = get_zone("America/New_York")
    first = local_date(now, zone)
    fig = {}
    for label, limit in (("day_options", None), ("day_options_first20", 20)):
        q = OptionsQuery(first, first + timedelta(days=args.days - 1), zone, limit=limit)
        ms, found = timed(
            lambda q=q: day_options(db.session, get_pathway(db.session, care["pathway_id"]), q, now=now), args.runs
        )
        fig[label] = stats(ms) | {"options": len(found)}
        log(f"  {label}: {len(found)} options over {args.days} days, median {fig[label]['median']:.1f} ms")
    spec = courses.CourseSpec(
        ds.visit_type_ids["Radiosurgery treatment"], care["radonc"], ds.site_ids[0], 5, "weekdays"
    )
    last = first + timedelta(days=args.course_days - 1)
    ms, found = timed(lambda: courses.options(db.session, spec, first, last, zone, now=now, limit=1), args.runs)
    fig["course"] = stats(ms) | {"found": len(found)}
    log(f"  earliest 5-fraction course over {args.course_days} days: median {fig['course']['median']:.1f} ms")
    return fig


def over_http(url, ds, care, args, token) -> dict:
    server = Server(url, args.now, kind="gunicorn", workers=args.workers, threads=1, worker_class="sync")
    try:
        server.wait_ready()
        client = Client(server.port, {"Authorization": f"Bearer {token}"})
        path = (
            f"/api/v1/pathways/{care['pathway_id']}/options?from=2027-03-02&to=2027-05-31&tz=America/New_York&limit=100"
        )
        options = json.loads(client.get(path)[1])["options"]
        ms, codes = [], {}
        for i, option in enumerate(options[: args.bookings]):
            steps = [
                {k: s[k] for k in ("start", "clinician_id", "location_id", "mode", "resource_ids")}
                for s in option["steps"]
            ]
            body = {"pathway_id": care["pathway_id"], "patient_id": ds.patient_ids[i], "steps": steps}
            t0 = time.perf_counter()
            status, _ = client.post_json("/api/v1/itineraries", body)
            elapsed = (time.perf_counter() - t0) * 1000
            codes[status] = codes.get(status, 0) + 1
            if status == 201:
                ms.append(elapsed)
        log(f"  booked clinic days over HTTP: {codes}")
        return {"book_day": stats(ms) if ms else {}, "book_day_codes": codes}
    finally:
        server.stop()


def main(argv=None) -> int:
    args = parse_args(argv)
    from televisit import clock
    from televisit.domain.timezones import parse_instant
    from televisit.extensions import db

    now = parse_instant(args.now)
    fig = {"machine": machine(), "args": vars(args), "load_average": [load_average()]}
    args.seed, args.visit_type = args.seed, "New patient consultation"
    url = recreate_database(args.admin_url, args.db_name)
    app = make_app(url)
    try:
        with app.app_context():
            ds, token = load(args, now, fig)
            radonc, site = radiation_oncologist()
            care = add_care(ds, site) | {"radonc": radonc}
            log(f"==> in-process ({args.runs} runs each, load average {load_average()})")
            fig.update(in_process(ds, care, args, now))
            fig["overlaps"] = db.session.execute(text("SELECT 0")).scalar_one()
            db.session.remove()
        log(f"==> over HTTP (load average {load_average()})")
        fig.update(over_http(url, ds, care, args, token))
    finally:
        clock.reset()
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_database(args.admin_url, args.db_name)
    fig["load_average"].append(load_average())
    print(report(fig))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(fig, fh, indent=2, default=str)
    return 0


def report(fig: dict) -> str:
    rows = [
        ("clinic-day options, 3 steps, 28 days, all (median)", fig["day_options"]["median"], TARGETS["day_options"]),
        ("clinic-day options, first 20 (median)", fig["day_options_first20"]["median"], TARGETS["day_options"]),
        ("earliest 5-fraction course, 60 days (median)", fig["course"]["median"], TARGETS["course"]),
        (
            "booking a clinic day over HTTP (p95)",
            fig.get("book_day", {}).get("p95", float("nan")),
            TARGETS["book_day_p95"],
        ),
    ]
    lines = ["| measure | ms | target |", "| --- | --- | --- |"]
    lines += [f"| {name} | {value:.1f} | ≤ {target:.0f} |" for name, value, target in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
