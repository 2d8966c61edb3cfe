"""FHIR benchmark on PostgreSQL: a Schedule's week of Slots, and the SMART Scheduling Links Slot files.

    python -m bench.fhir_bench            # builds database televisit_fhir_bench, measures, prints a table
    python -m bench.fhir_bench --help

The booking benchmark's data (3 sites, 60 clinicians, 5,000 appointments filling the near weeks), then:

(a) `GET /fhir/Slot?schedule=...&start=ge<day>&start=lt<day+7>` (one clinician's week at one site, 3 weeks
    out where the data leaves weeks free; the first page of 50) over HTTP against gunicorn (sync workers),
    cycling over every Schedule: p95 (target <= 50 ms). Also the same week in one page (`_count=500`) and the
    default window (no `start`: the next 7 days, mostly booked).
(b) the `$bulk-publish` Slot files of all sites for `--days` (28) days, over HTTP against a one-worker
    gunicorn, read to the end: slots per second (target >= 20,000), and the worker's peak RSS over what it
    held before (VmHWM - VmRSS), for 28, 56 and 84 days: bounded memory does not grow with the horizon.
    In-process, `tracemalloc`'s peak of the same streams (Python allocations only) says the same.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.booking_bench import drop_database, load, load_average, machine, make_app, recreate_database
from bench.cpu import children
from bench.measure import log, stats
from bench.server import Client, Server

TARGETS = {"week_p95": 50.0, "slots_per_s": 20000.0}


def horizons(args) -> tuple[int, ...]:
    """The publish horizons measured: the target's, twice and three times it (memory must not follow)."""
    return args.days, 2 * args.days, 3 * args.days


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fhir_bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--admin-url",
        default=os.environ.get("TELEVISIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--db-name", default="televisit_fhir_bench")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--now", default="2027-03-01T13:00:00+00:00")
    p.add_argument("--clinicians", type=int, default=60)
    p.add_argument("--appointments", type=int, default=5000)
    p.add_argument("--patients", type=int, default=2000)
    p.add_argument("--runs", type=int, default=300, help="Slot searches over HTTP")
    p.add_argument("--week-offset", type=int, default=3, help="weeks from today to the free week searched")
    p.add_argument("--days", type=int, default=28, help="TELEVISIT_PUBLISH_DAYS of the bulk files")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers for the searches")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", metavar="PATH")
    return p.parse_args(argv)


def schedules() -> list[tuple[str, str]]:
    """(Schedule id, its site's zone) of every Schedule, as `$bulk-publish/Schedule.ndjson` lists them."""
    from televisit.extensions import db
    from televisit.services.booking import publish

    snap = publish.catalog(db.session)
    return [
        (f"{r.clinician_id}.{r.location_id}", snap.zones[r.location_id]) for r in publish.schedules(db.session, snap)
    ]


SEARCHES = {  # label -> (weeks out: None = the default window, _count: None = the default 50)
    "week": (True, None),  # a free week, as a client asks for it: its first page of 50
    "week_all": (True, 500),  # the same week, every slot in one page
    "default": (None, None),  # no `start`: now to 7 days on (the near weeks are mostly booked)
}


def slot_searches(port: int, scheds, now, args) -> dict:
    """(a): one Schedule's 7 days, `args.runs` times per variant (SEARCHES), over every Schedule in turn."""
    from televisit.domain.timezones import get_zone, local_date

    client, fig = Client(port), {}
    for label, (free_week, count) in SEARCHES.items():
        ms, sizes = [], []
        for i in range(args.runs + 10):
            sid, zone = scheds[i % len(scheds)]
            path = f"/fhir/Slot?schedule=Schedule/{sid}" + (f"&_count={count}" if count else "")
            if free_week:
                day = local_date(now, get_zone(zone)) + timedelta(weeks=args.week_offset)
                path += f"&start=ge{day}&start=lt{day + timedelta(days=7)}"
            t0 = time.perf_counter()
            status, body = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            assert status == 200, body[:300]
            if i >= 10:
                ms.append(elapsed)
                sizes.append(len(json.loads(body).get("entry", [])))
        fig[label] = stats(ms) | {"slots_mean": sum(sizes) / len(sizes), "slots_max": max(sizes)}
        log(
            f"  GET /fhir/Slot one Schedule, {label}: {fig[label]['slots_mean']:.0f} slots on average"
            f" (max {fig[label]['slots_max']}), median {fig[label]['median']:.1f} ms, p95 {fig[label]['p95']:.1f} ms"
        )
    client.close()
    return fig


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def bulk_files(url: str, args, days: int) -> dict:
    """(b) over HTTP: every site's Slot file read to the end by one gunicorn worker (fresh, warmed up)."""
    os.environ["TELEVISIT_PUBLISH_DAYS"] = str(days)
    server = Server(url, args.now, kind="gunicorn", workers=1, threads=1, worker_class="sync")
    try:
        server.wait_ready()
        client = Client(server.port)
        manifest = json.loads(client.get("/fhir/$bulk-publish")[1])
        files = [urlsplit(o["url"]).path for o in manifest["output"] if o["type"] == "Slot"]
        client.get("/fhir/Slot?service-type=1&_count=5")  # warm: imports, catalog snapshot, pool (not a file)
        (worker,) = children(server.proc.pid)
        rss_before = _status_kb(worker, "VmRSS")
        hwm_before = _status_kb(worker, "VmHWM")
        lines, t0 = 0, time.perf_counter()
        for path in files:
            status, body = client.get(path)
            assert status == 200, body[:300]
            lines += body.count(b"\n")
        elapsed = time.perf_counter() - t0
        hwm = _status_kb(worker, "VmHWM")
        client.close()
    finally:
        server.stop()
        os.environ.pop("TELEVISIT_PUBLISH_DAYS", None)
    fig = {
        "days": days,
        "slots": lines,
        "seconds": elapsed,
        "slots_per_s": lines / elapsed,
        "rss_before_mb": rss_before / 1024,
        "peak_over_before_mb": (hwm - rss_before) / 1024,
        "hwm_before_mb": hwm_before / 1024,
    }
    log(
        f"  {len(files)} Slot files, {days} days: {lines} slots in {elapsed:.2f} s = {fig['slots_per_s']:,.0f} slots/s;"
        f" worker RSS {fig['rss_before_mb']:.1f} MB before, peak +{fig['peak_over_before_mb']:.1f} MB while serving"
    )
    return fig


def traced(app, site_ids, days: int) -> dict:
    """tracemalloc's peak while the Slot files stream in-process (each line counted, none kept)."""
    app.config["PUBLISH_DAYS"] = days
    client = app.test_client()
    consume(client, site_ids[:1])  # warm-up: the catalog snapshot and the engine's caches
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    lines = consume(client, site_ids)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    log(f"  in-process, {days} days: {lines} slots streamed, tracemalloc peak {peak / 2**20:.2f} MB")
    return {"days": days, "slots": lines, "peak_mb": peak / 2**20}


def consume(client, site_ids) -> int:
    lines = 0
    for site in site_ids:
        r = client.get(f"/fhir/$bulk-publish/Slot-{site}.ndjson", buffered=False)
        assert r.status_code == 200 and r.is_streamed
        for chunk in r.response:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        r.close()
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    from televisit import clock
    from televisit.domain.timezones import parse_instant
    from televisit.extensions import db

    now = parse_instant(args.now)
    fig: dict = {"machine": machine(), "args": vars(args), "load_average": [load_average()]}
    args.visit_type = "New patient consultation"
    log(f"==> database {args.db_name} (fresh); load average {load_average()}")
    url = recreate_database(args.admin_url, args.db_name)
    app = make_app(url)
    try:
        with app.app_context():
            ds, _ = load(args, now, fig)
            scheds = schedules()
            log(f"  {len(scheds)} Schedules")
            log(f"==> in-process Slot files, tracemalloc (load average {load_average()})")
            fig["traced"] = [traced(app, ds.site_ids, d) for d in horizons(args)]
            db.session.remove()
        log(f"==> (a) Slot search over HTTP, gunicorn -w {args.workers} (load average {load_average()})")
        server = Server(url, args.now, kind="gunicorn", workers=args.workers, threads=1, worker_class="sync")
        try:
            server.wait_ready()
            fig["search"] = slot_searches(server.port, scheds, now, args)
        finally:
            server.stop()
        log(f"==> (b) Slot files over HTTP, gunicorn -w 1 (load average {load_average()})")
        fig["bulk"] = [bulk_files(url, args, d) for d in horizons(args)]
    finally:
        clock.reset()
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_database(args.admin_url, args.db_name)
    fig["load_average"].append(load_average())
    m = fig["machine"]
    log(f"\nmachine: {m['cpus']} CPU ({m['cpu']}), Python {m['python']}, PostgreSQL {fig.get('pg')}")
    log(f"load average at start/end: {' / '.join(fig['load_average'])}")
    log(report(fig))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(fig, fh, indent=2, default=str)
    return 1 if missed(fig) else 0


def missed(fig: dict) -> bool:
    return fig["search"]["week"]["p95"] > TARGETS["week_p95"] or fig["bulk"][0]["slots_per_s"] < TARGETS["slots_per_s"]


def report(fig: dict) -> str:
    search, bulk, traced_ = fig["search"], fig["bulk"], fig["traced"]
    week, b28 = search["week"], bulk[0]
    ok = "met" if week["p95"] <= TARGETS["week_p95"] else "MISSED"
    rate = "met" if b28["slots_per_s"] >= TARGETS["slots_per_s"] else "MISSED"
    days = " / ".join(str(b["days"]) for b in bulk)
    rows = [
        (f"GET /fhir/Slot, one Schedule, a free week, first page ({week['slots_mean']:.0f} slots): p95 (median)",
         f"{week['p95']:.1f} ({week['median']:.1f}) ms", "p95 ≤ 50 ms", ok),
        (f"  the same week in one page (`_count=500`, {search['week_all']['slots_mean']:.0f} slots): p95 (median)",
         f"{search['week_all']['p95']:.1f} ({search['week_all']['median']:.1f}) ms", "", ""),
        (f"  default window, first page ({search['default']['slots_mean']:.0f} slots): p95 (median)",
         f"{search['default']['p95']:.1f} ({search['default']['median']:.1f}) ms", "", ""),
    ]  # fmt: skip
    for b in bulk:
        goal, result = ("≥ 20,000/s", rate) if b is b28 else ("", "")
        rows.append((f"Slot files, all sites, {b['days']} days ({b['slots']} slots)", f"{b['slots_per_s']:,.0f}/s",
                     goal, result))  # fmt: skip
    rss = " / ".join(f"{b['peak_over_before_mb']:.1f}" for b in bulk)
    rows.append((f"worker peak RSS over its rest, {days} days", f"{rss} MB", "flat", ""))
    traced_mb = " / ".join(f"{t['peak_mb']:.2f}" for t in traced_)
    rows.append((f"tracemalloc peak in-process, {days} days", f"{traced_mb} MB", "flat", ""))
    lines = ["| measure | figure | target | result |", "| --- | ---: | --- | --- |"]
    return "\n".join(lines + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows])


if __name__ == "__main__":
    raise SystemExit(main())
