"""CPU and statements per booking, in-process: `python -m bench.booking_cpu`.

Loads the booking benchmark's data into a fresh PostgreSQL database, books `--warmup` + `--bookings` slots
one after another through Flask's test client (the whole request path: auth, parsing, the booking check,
the insert, the outbox rows, the audit event, the JSON response) and prints wall and CPU milliseconds per
booking, then the SQL statements of one booking. CPU time is this process's only, so the figure moves far
less with other work on the machine than throughput does; compare code side by side with it.
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import event

from bench import booking_bench as bb
from bench.measure import booking_candidates, log


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.booking_cpu", description=__doc__.splitlines()[0])
    p.add_argument("--db-name", default="televisit_bench_cpu")
    p.add_argument("--bookings", type=int, default=200)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--profile", type=int, metavar="N", default=0, help="print the N costliest functions (cProfile)")
    return p.parse_args(argv)


def profile(call, top: int) -> None:
    """Run `call` again under cProfile (after the timed run: the profiler slows it) and print the top."""
    import cProfile
    import pstats

    prof = cProfile.Profile(time.process_time)  # CPU time: waiting on PostgreSQL costs nothing here
    prof.runcall(call)
    stats = pstats.Stats(prof, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from televisit.domain.timezones import parse_instant
    from televisit.extensions import db

    opts = bb.parse_args(["--db-name", args.db_name])
    now = parse_instant(opts.now)
    app = bb.make_app(bb.recreate_database(opts.admin_url, opts.db_name))
    try:
        with app.app_context():
            ds, token = bb.load(opts, now, {})
            candidates = booking_candidates(ds, now, args.warmup + 2 * args.bookings + 1, opts.seed)
            engine = db.engine
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}

        def book(batch: list[dict]) -> None:
            for i, c in enumerate(batch):
                body = dict(c, patient_id=ds.patient_ids[i % len(ds.patient_ids)], reason="bench")
                r = client.post("/api/v1/appointments", json=body, headers=headers)
                assert r.status_code == 201, r.get_json()

        book(candidates[: args.warmup])
        timed = candidates[args.warmup : args.warmup + args.bookings]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        book(timed)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if args.profile:
            profile(lambda: book(candidates[args.warmup + args.bookings : -1]), args.profile)
        per_wall, per_cpu = wall * 1000 / len(timed), cpu * 1000 / len(timed)
        log(f"{len(timed)} bookings one after another: {per_wall:.2f} ms each (wall), {per_cpu:.2f} ms of CPU each")
        statements: list[str] = []
        listener = lambda *a: statements.append(a[2].split(None, 3)[:3])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        book(candidates[-1:])
        event.remove(engine, "before_cursor_execute", listener)
        log(f"statements for one booking: {len(statements)}")
        for words in statements:
            log("  " + " ".join(words))
    finally:
        with app.app_context():
            db.engine.dispose()
        bb.drop_database(opts.admin_url, opts.db_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
