"""Slot search at health-system scale (issue 17): first-available and a week's listing at 60, 600 and 6,000 clinicians.

    python -m bench.scale_bench                       # 60/5,000, 600/50,000 and 6,000/500,000 (clinicians/visits)
    python -m bench.scale_bench --reuse               # keep the databases and reuse them next time (loading 6,000
                                                      # clinicians' 500,000 visits takes ~10 minutes)
    python -m bench.scale_bench --sizes 60:5000,600:50000 --runs 100

Each size is the booking benchmark's program (bench/dataset.py: 3 sites, weekly rules, visits filling the near
weeks to ~85% with holes) in its own PostgreSQL database `televisit_scale_<clinicians>`, and the same two
in-process searches as `bench.booking_bench` (`bench.measure.measure_in_process`): the 20 earliest slots of a
new-patient consultation over 90 days across every clinician and site, and one site's week four weeks out.
All sizes are measured in one run, one after another, so the figures compare (this VM's speed moves by 2x
within the hour). With `--baseline REV` (default 639ab1c, the search before issue 17's changes) the same
searches also run through the slot engine, scan and search modules of that git revision, loaded beside this
checkout's, alternating call by call, and both answers must be equal.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
from pathlib import Path

from sqlalchemy import create_engine, select, text

from bench.booking_bench import (
    DEFAULT_ADMIN_URL,
    drop_database,
    load,
    load_average,
    machine,
    make_app,
    recreate_database,
)
from bench.dataset import Dataset
from bench.measure import log, search_query, stats, week_query

TARGETS = {600: 20.0, 6000: 60.0}  # first-available median, ms
WEEK_TARGET = (600, 50.0)  # week listing median at 600 clinicians, ms


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scale_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--admin-url", default=DEFAULT_ADMIN_URL, help="PostgreSQL URL of a maintenance database")
    p.add_argument("--sizes", default="60:5000,600:50000,6000:500000", help="clinicians:visits,...")
    p.add_argument("--reuse", action="store_true", help="keep the databases, and reuse one that is already loaded")
    p.add_argument("--runs", type=int, default=50, help="repetitions of each search")
    p.add_argument("--now", default="2027-03-01T13:00:00+00:00")
    p.add_argument("--visit-type", default="New patient consultation")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--week-offset", type=int, default=4)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--baseline", default="639ab1c", help="git revision whose search runs beside (none: skip)")
    p.add_argument("--json", metavar="PATH")
    return p.parse_args(argv)


def sizes(spec: str) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in part.split(":")) for part in spec.split(",")]  # type: ignore[misc]


def loaded(admin_url: str, name: str, clinicians: int, visits: int) -> bool:
    """True when database `name` exists and holds exactly that program (a finished load)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        there = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    if not there:
        return False
    engine = create_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT (SELECT count(*) FROM clinicians), (SELECT count(*) FROM appointments)"))
            return tuple(got.one()) == (clinicians, visits)
    except Exception:  # half-migrated or another schema: load it again
        return False
    finally:
        engine.dispose()


def dataset_from_database() -> Dataset:
    """The ids the measurements need, read back from a loaded database."""
    from televisit.extensions import db
    from televisit.models import Clinician, Location, VisitType

    sites = db.session.execute(select(Location.id, Location.timezone).order_by(Location.id)).all()
    return Dataset(
        site_ids=[s.id for s in sites],
        zones={s.id: s.timezone for s in sites},
        visit_type_ids=dict(db.session.execute(select(VisitType.name, VisitType.id)).all()),
        clinician_ids=list(db.session.scalars(select(Clinician.id).order_by(Clinician.id))),
        patient_ids=[],
    )


def one_size(args, clinicians: int, visits: int, now) -> dict:
    from televisit import clock
    from televisit.extensions import db

    name = f"televisit_scale_{clinicians}"
    run = argparse.Namespace(**vars(args), clinicians=clinicians, appointments=visits, patients=max(2000, visits // 25))
    fig: dict = {"clinicians": clinicians, "visits": visits}
    reuse = args.reuse and loaded(args.admin_url, name, clinicians, visits)
    url = args.admin_url.rsplit("/", 1)[0] + f"/{name}" if reuse else recreate_database(args.admin_url, name)
    log(f"==> {clinicians} clinicians, {visits:,} visits: database {name} ({'reused' if reuse else 'fresh'})")
    app = make_app(url)
    try:
        with app.app_context():
            ds = dataset_from_database() if reuse else load(run, now, {})[0]
            clock.freeze(now)
            log(f"  measuring ({args.runs} runs each, load average {load_average()})")
            fig |= side_by_side(ds, run, now, baseline_search(args.baseline))
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.reset()
        if not args.reuse:
            drop_database(args.admin_url, name)
    return fig


ROOT = Path(__file__).resolve().parent.parent
MODULES = (  # the search's modules, in import order: each later one refers to the earlier ones' classes
    ("televisit/domain/availability.py", "availability"),
    ("televisit/services/booking/scan.py", "scan"),
    ("televisit/services/booking/search.py", "search"),
)


def baseline_search(rev: str | None):
    """`search` as git revision `rev` had it (its engine, scan and search modules), or None."""
    if not rev or rev == "none":
        return None
    import televisit.domain.availability as current

    shared = {k: getattr(current, k) for k in ("Rule", "VisitSpec", "Slot", "Intervals", "ClinicianDay")}
    loaded: dict[str, types.ModuleType] = {}
    for path, name in MODULES:
        source = subprocess.check_output(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], text=True)
        module = types.ModuleType(f"baseline_{name}")
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(source, module.__name__, "exec"), module.__dict__)
        module.__dict__.update(shared)  # the same value classes, so the answers compare
        if name == "scan":
            module.__dict__.update(free_slots=loaded["availability"].free_slots)
        if name == "search":
            module.__dict__.update(ChunkScan=loaded["scan"].ChunkScan, by_location=loaded["scan"].by_location)
        loaded[name] = module
    return loaded["search"].search


def side_by_side(ds: Dataset, args, now, old) -> dict:
    """First-available and the week listing, this checkout's search and (when given) the baseline's, alternating."""
    from televisit.domain.timezones import get_zone, local_date
    from televisit.extensions import db
    from televisit.services.booking.search import search

    first = local_date(now, get_zone("America/New_York"))
    queries = {"search": search_query(ds, args, first), "week": week_query(ds, args, now)}
    impls = {"": search} | ({"baseline_": old} if old else {})
    fig: dict = {}
    for label, q in queries.items():
        times: dict[str, list[float]] = {k: [] for k in impls}
        answers = {}
        for i in range(args.runs + 3):  # 3 warm-up rounds
            for key, fn in impls.items():
                db.session.remove()
                t0 = time.perf_counter()
                answers[key] = fn(db.session, q, now=now)
                if i >= 3:
                    times[key].append((time.perf_counter() - t0) * 1000)
        if old and answers["baseline_"] != answers[""]:
            raise SystemExit(f"{label}: the baseline's answer differs from this checkout's")
        for key in impls:
            fig[f"{key}{label}"] = stats(times[key])
        fig[f"{label}_slots" if label == "week" else "search_slots"] = len(answers[""])
        said = ", ".join(f"{k or 'this'} median {stats(v)['median']:.1f} ms" for k, v in times.items())
        log(f"  {label}: {len(answers[''])} slots; {said}")
    return fig


def report(figs: list[dict]) -> str:
    rows = [
        "| clinicians / visits | first-available median (p95) | baseline | week listing median (p95), slots "
        "| baseline | target |"
    ]
    rows.append("| --- | ---: | ---: | ---: | ---: | --- |")
    for f in figs:
        n = f["clinicians"]
        goal = [f"first ≤ {TARGETS[n]:.0f} ms"] if n in TARGETS else []
        goal += [f"week ≤ {WEEK_TARGET[1]:.0f} ms"] if n == WEEK_TARGET[0] else []
        s, w = f["search"], f["week"]
        bs, bw = f.get("baseline_search"), f.get("baseline_week")
        rows.append(
            f"| {n:,} / {f['visits']:,} | {s['median']:.1f} ({s['p95']:.1f}) ms | {_ms(bs)} | "
            f"{w['median']:.1f} ({w['p95']:.1f}) ms, {f['week_slots']:,} | {_ms(bw)} | {'; '.join(goal) or '—'} |"
        )
    return "\n".join(rows)


def _ms(fig: dict | None) -> str:
    return "—" if fig is None else f"{fig['median']:.1f} ({fig['p95']:.1f}) ms"


def missed(figs: list[dict]) -> bool:
    for f in figs:
        n = f["clinicians"]
        if n in TARGETS and f["search"]["median"] > TARGETS[n]:
            return True
        if n == WEEK_TARGET[0] and f["week"]["median"] > WEEK_TARGET[1]:
            return True
    return False


def main(argv=None) -> int:
    args = parse_args(argv)
    from televisit.domain.timezones import parse_instant

    now = parse_instant(args.now)
    out = {"machine": machine(), "args": vars(args), "load_average": [load_average()], "sizes": []}
    for clinicians, visits in sizes(args.sizes):
        out["sizes"].append(one_size(args, clinicians, visits, now))
    out["load_average"].append(load_average())
    log(f"\nmachine: {out['machine']}; load average at start/end: {' / '.join(out['load_average'])}")
    log(report(out["sizes"]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 1 if missed(out["sizes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
