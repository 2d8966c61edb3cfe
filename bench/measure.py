"""The measurements: in-process slot searches, and slot searches and bookings over HTTP."""

from __future__ import annotations

import itertools
import json
import random
import statistics
import threading
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from bench.dataset import Dataset
from bench.server import Client


def log(msg: str) -> None:
    print(msg, flush=True)


def stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return {"median": statistics.median(ordered), "p95": p95, "max": ordered[-1], "n": len(ordered)}


# --- in-process measurements -----------------------------------------------------------------


def timed(fn, runs: int, warmup: int = 5) -> tuple[list[float], object]:
    """Call `fn` (each call in a fresh session, as a request would be) and return per-call ms."""
    from televisit.extensions import db

    out, result = [], None
    for i in range(warmup + runs):
        db.session.remove()
        t0 = time.perf_counter()
        result = fn()
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            out.append(elapsed)
    db.session.remove()
    return out, result


def search_query(ds: Dataset, args, first: date, **kw):
    from televisit.domain.timezones import get_zone
    from televisit.services.booking.search import SlotQuery

    last = first + timedelta(days=args.days - 1)
    vt = ds.visit_type_ids[args.visit_type]
    return SlotQuery(vt, first, last, get_zone("America/New_York"), limit=args.limit, **kw)


def measure_in_process(ds: Dataset, args, now: datetime) -> dict:
    from televisit.domain.timezones import get_zone, local_date
    from televisit.extensions import db
    from televisit.services.booking.search import search

    first = local_date(now, get_zone("America/New_York"))
    q = search_query(ds, args, first)
    ms, found = timed(lambda: search(db.session, q, now=now), args.runs)
    figures = {"search": stats(ms), "search_slots": len(found)}
    figures["search_first"] = found[0].start.isoformat() if found else None
    log(f"  first-available: {len(found)} slots from {figures['search_first']}, median {stats(ms)['median']:.1f} ms")
    wq = week_query(ds, args, now)
    ms, week = timed(lambda: search(db.session, wq, now=now), args.runs)
    figures.update(week=stats(ms), week_slots=len(week), week_from=wq.first.isoformat())
    log(f"  week listing from {wq.first}: {len(week)} slots, median {stats(ms)['median']:.1f} ms")
    return figures


def week_query(ds: Dataset, args, now: datetime):
    """The first site's week, `args.week_offset` weeks from now (Monday to Sunday), as one listing."""
    from televisit.domain.timezones import get_zone, local_date
    from televisit.services.booking.search import SlotQuery

    site = ds.site_ids[0]
    zone = get_zone(ds.zones[site])
    monday = local_date(now, zone) + timedelta(weeks=args.week_offset)
    monday -= timedelta(days=monday.weekday())
    first = local_date(now, get_zone("America/New_York"))
    return SlotQuery(search_query(ds, args, first).visit_type_id, monday, monday + timedelta(days=6), zone, site)


def booking_candidates(ds: Dataset, now: datetime, n: int, seed: int) -> list[dict]:
    """Free slots of several visit types, thinned so that no two of them overlap (buffers included)."""
    from televisit.domain.timezones import get_zone, local_date
    from televisit.extensions import db
    from televisit.models import VisitType
    from televisit.services.booking.search import SlotQuery, search, visit_spec

    zone = get_zone("America/New_York")
    first = local_date(now, zone)
    chosen: dict[int, list[tuple[datetime, datetime]]] = {}
    out: list[dict] = []
    rng = random.Random(seed)
    for name in ("Follow-up", "New patient consultation", "Second opinion", "Imaging review"):
        vt = db.session.get(VisitType, ds.visit_type_ids[name])
        spec = visit_spec(vt)
        q = SlotQuery(vt.id, first, first + timedelta(days=spec.max_advance_days), zone)
        slots = search(db.session, q, now=now)
        # The server's clock runs on from --now while the run lasts: keep clear of the notice edge.
        soonest = now + timedelta(minutes=spec.min_notice_minutes, hours=1)
        for s in rng.sample(slots, len(slots)):
            if s.start < soonest:
                continue
            block = spec.blocked(s.start)
            mine = chosen.setdefault(s.clinician_id, [])
            if any(a < block[1] and block[0] < b for a, b in mine):
                continue
            mine.append(block)
            london = ds.zones[s.location_id] == "Europe/London"
            out.append(
                {
                    "visit_type_id": vt.id,
                    "clinician_id": s.clinician_id,
                    "location_id": s.location_id,
                    "mode": s.mode,
                    "start": s.start.isoformat(),
                    "patient_region": "GB" if london else "US-OH",
                }
            )
    db.session.remove()
    rng.shuffle(out)
    return out[:n]


# --- over HTTP -----------------------------------------------------------------------------------


def measure_http_search(port: int, ds: Dataset, args, now: datetime) -> dict:
    from televisit.domain.timezones import get_zone, local_date

    first = local_date(now, get_zone("America/New_York"))
    params = {
        "visit_type_id": ds.visit_type_ids[args.visit_type],
        "from": first.isoformat(),
        "to": (first + timedelta(days=args.days - 1)).isoformat(),
        "tz": "America/New_York",
        "limit": args.limit,
    }
    path = "/api/v1/slots?" + urlencode(params)
    client = Client(port)
    out = []
    for i in range(args.runs + 10):
        t0 = time.perf_counter()
        status, body = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        assert status == 200, body[:300]
        if i >= 10:
            out.append(elapsed)
    n = len(json.loads(body)["slots"])
    client.close()
    log(f"  GET {path[:60]}...: {n} slots, median {stats(out)['median']:.1f} ms")
    return {"http": stats(out), "http_slots": n}


def concurrently(port: int, headers: dict, count: int, clients: int, request, *, keep_alive: bool = False, meter=None):
    """Make requests 0..count-1 with `clients` threads, each its own `Client(port, headers)`; `request(client, i)`
    makes request i and returns (status, error code or ""). The clock starts when every client is connected and
    warmed up (and `meter()`, optional, starts a CpuMeter then). Returns ([(status, ms, code)], seconds, meter)."""
    counter = itertools.count()
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        client = Client(port, headers, keep_alive=keep_alive)
        client.get("/api/v1/locations")  # warm up before the clock starts
        mine = []
        barrier.wait()
        while (i := next(counter)) < count:
            t0 = time.perf_counter()
            status, code = request(client, i)
            mine.append((status, (time.perf_counter() - t0) * 1000, code))
        client.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    cpu = meter() if meter else None
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0, cpu


def by_status(results: list[tuple[int, float, str]]) -> dict[str, int]:
    """How many answers of each status (and error code): {"201": 2990, "409 slot_unavailable": 10}."""
    out: dict[str, int] = {}
    for s, _, code in results:
        key = f"{s} {code}".strip()
        out[key] = out.get(key, 0) + 1
    return out


def measure_throughput(
    port: int, token: str, candidates: list[dict], ds: Dataset, clients: int, keep_alive: bool = False, meter=None
) -> dict:
    """Book `candidates` with `clients` threads; `meter()` (optional) starts a CpuMeter when the clock does."""

    def book(client: Client, i: int) -> tuple[int, str]:
        body = dict(candidates[i], patient_id=ds.patient_ids[i % len(ds.patient_ids)], reason="bench")
        status, payload = client.post_json("/api/v1/appointments", body)
        error = payload.get("error", {}) if status != 201 else {}
        return status, ":".join(filter(None, (error.get("code"), error.get("reason"))))

    headers = {"Authorization": f"Bearer {token}"}
    results, elapsed, cpu = concurrently(
        port, headers, len(candidates), clients, book, keep_alive=keep_alive, meter=meter
    )
    ok = sum(1 for s, _, _ in results if s == 201)
    cpu_ms = cpu.per(ok) if cpu else None
    if cpu_ms:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in cpu_ms.items())
        log(f"  CPU ms per booking: {parts}; two idle cores could do about {2000 / cpu_ms['total']:.0f}/s")
    statuses = by_status(results)
    lat = stats([ms for _, ms, _ in results])
    log(f"  {ok} bookings in {elapsed:.2f} s by {clients} clients: {ok / elapsed:.0f}/s; statuses {statuses}")
    return {
        "throughput": ok / elapsed,
        "booked": ok,
        "attempts": len(results),
        "elapsed_s": elapsed,
        "statuses": statuses,
        "booking_latency": lat,
        "cpu_ms_per_booking": cpu_ms,
    }


def measure_requests(port: int, path: str, count: int, clients: int, keep_alive: bool = False) -> dict:
    """GET `path` `count` times with `clients` threads (as `measure_throughput` books): answers/s of status 200."""

    def get(client: Client, _i: int) -> tuple[int, str]:
        return client.get(path)[0], ""

    results, elapsed, _ = concurrently(port, {}, count, clients, get, keep_alive=keep_alive)
    ok = sum(1 for s, _, _ in results if s == 200)
    lat = stats([ms for _, ms, _ in results])
    log(f"  GET {path}: {ok} answers in {elapsed:.2f} s by {clients} clients: {ok / elapsed:.0f}/s")
    return {
        "rate": ok / elapsed,
        "ok": ok,
        "attempts": len(results),
        "elapsed_s": elapsed,
        "statuses": by_status(results),
        "latency": lat,
    }
