"""Stack benchmark (issue 17): bookings/s through nginx on `make stack`'s layout, against a cheap endpoint, one run.

    python -m bench.stack_bench                       # its own stack on port 9180, its own database; then stops both
    python -m bench.stack_bench --help
    python -m bench.stack_bench --url http://127.0.0.1:9180 --database-url postgresql+psycopg://...   # running stack

Loads booking_bench's program (3 sites, 60 clinicians, 2,000 patients, 5,000 appointments: bench/dataset.py) into
the stack's database, then, in each of --rounds rounds, back to back with the same C clients (a connection per
request, as booking_bench): (1) bookings through nginx, (2) GET --hello-path (/healthz: the cheapest endpoint of
the app, no database; there is no hello-world route) through nginx, (3) bookings directly on the API workers' port,
(4) the same GET there. The ratio bookings/s : hello/s through nginx is the figure; (3) and (4) say what nginx costs.

Its own stack is scripts/stack.sh with STACK_SEED=0 (no demo program: its names would collide with the bench's),
TELEVISIT_NOW=--now, and its own port, run directory, database and Redis db (another engineer's stack is never
touched). A running stack (--url) must hold no program yet (started with STACK_SEED=0 on a fresh database) and
run with TELEVISIT_NOW equal to --now (read from its stack.env when --stack-dir has one).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, func, select

from bench.booking_bench import (
    DEFAULT_ADMIN_URL,
    OVERLAPS,
    cpu_meter,
    drop_database,
    load,
    load_average,
    machine,
    make_app,
    recreate_database,
)
from bench.measure import booking_candidates, log, measure_requests, measure_throughput

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "stack.sh"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.stack_bench", description=__doc__.split("\n\n")[0])
    own = p.add_argument_group("its own stack (the default)")
    own.add_argument("--port", type=int, default=9180, help="STACK_PORT: nginx; API port+1, sockets +2, +3 (9180)")
    own.add_argument("--stack-dir", default=str(ROOT / "instance" / "stack-bench"), help="STACK_DIR (run directory)")
    own.add_argument("--db-name", default="televisit_stack_bench", help="STACK_DB, (re)created (televisit_stack_bench)")
    own.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="STACK_REDIS_URL (db 5)")
    own.add_argument("--keep", action="store_true", help="leave the stack running and keep its database")
    run = p.add_argument_group("a running stack")
    run.add_argument("--url", help="nginx's address of a running stack (then nothing is started or stopped)")
    run.add_argument("--api-port", type=int, help="its API workers' port (default: the URL's port + 1)")
    run.add_argument("--database-url", help="its database (default: TELEVISIT_DATABASE_URL in --stack-dir/stack.env)")
    p.add_argument(
        "--admin-url",
        default=os.environ.get("TELEVISIT_BENCH_PG_URL", DEFAULT_ADMIN_URL),
        help="PostgreSQL maintenance database, to create/drop the stack's database",
    )
    p.add_argument("--now", default="2027-03-01T13:00:00+00:00", help="the stack's clock at its start (ISO instant)")
    p.add_argument("--clinicians", type=int, default=60)
    p.add_argument("--appointments", type=int, default=5000, help="existing appointments to load")
    p.add_argument("--patients", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clients", type=int, default=32, help="concurrent clients (C) in every phase")
    p.add_argument("--bookings", type=int, default=1000, help="bookings per booking phase per round")
    p.add_argument("--hello-requests", type=int, default=4000, help="GETs per hello phase per round")
    p.add_argument("--hello-path", default="/healthz", help="the cheap endpoint (default /healthz)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of the four phases")
    p.add_argument("--keep-alive", action="store_true", help="clients reuse one connection (default: one per request)")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return p.parse_args(argv)


# --- the stack -------------------------------------------------------------------------------------------------


def stack_env(args) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "STACK_", "TWILIO_", "SMTP_"))}
    keep.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return keep | {
        "STACK_PORT": str(args.port),
        "STACK_DIR": args.stack_dir,
        "STACK_DB": args.db_name,
        "STACK_REDIS_URL": args.redis_url,
        "STACK_SEED": "0",
        "STACK_BIN": str(Path(sys.executable).parent),
        "TELEVISIT_NOW": args.now,
        # a busy shared machine can take minutes to import the app in seven processes at once
        "STACK_WAIT_SECONDS": os.environ.get("STACK_WAIT_SECONDS", "300"),
    }


def stack(args, command: str) -> None:
    """scripts/stack.sh `command` for its own stack, its output shown as it comes."""
    log(f"==> scripts/stack.sh {command} (STACK_PORT={args.port} STACK_DIR={args.stack_dir} STACK_DB={args.db_name})")
    done = subprocess.run(["bash", str(SCRIPT), command], cwd=ROOT, env=stack_env(args), check=False)
    if done.returncode != 0:
        raise SystemExit(f"scripts/stack.sh {command} exited {done.returncode}")


def stack_setting(stack_dir: str, name: str) -> str | None:
    """A setting the stack's processes got (its stack.env), or None."""
    path = Path(stack_dir) / "stack.env"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip("'")
    return None


def api_pid(stack_dir: str) -> int | None:
    try:
        return int((Path(stack_dir) / "pids" / "api.pid").read_text().split()[0])
    except (OSError, ValueError):
        return None


def refuse_loaded(database_url: str) -> None:
    """A running stack's database must hold no program yet (the bench's names would collide)."""
    from televisit.models import Location

    engine = create_engine(database_url)
    with engine.connect() as conn:
        sites = conn.execute(select(func.count()).select_from(Location)).scalar_one()
    engine.dispose()
    if sites:
        raise SystemExit(f"the stack's database holds {sites} sites already: start it with STACK_SEED=0 on a new one")


# --- the measurements ------------------------------------------------------------------------------------------


def one_round(k: int, args, ports: dict, token: str, chunks: list[list[dict]], ds, meter) -> dict:
    """The four phases, back to back: bookings and hello through nginx, then both on the API port."""
    out = {}
    for where in ("nginx", "direct"):
        port = ports[where]
        log(f"--- round {k + 1}: bookings, {where} (127.0.0.1:{port}), load average {load_average()}")
        out[f"book_{where}"] = measure_throughput(port, token, chunks.pop(0), ds, args.clients, args.keep_alive, meter)
        log(f"--- round {k + 1}: GET {args.hello_path}, {where}")
        out[f"hello_{where}"] = measure_requests(
            port, args.hello_path, args.hello_requests, args.clients, args.keep_alive
        )
    return out


def summary(rounds: list[dict]) -> dict:
    """Total rates of each phase over the rounds (done / summed elapsed), and the ratios."""
    fig = {}
    for phase, done in (
        ("book_nginx", "booked"),
        ("book_direct", "booked"),
        ("hello_nginx", "ok"),
        ("hello_direct", "ok"),
    ):
        n = sum(r[phase][done] for r in rounds)
        fig[phase] = n / sum(r[phase]["elapsed_s"] for r in rounds)
    fig["refused_nginx"] = sum(r["book_nginx"]["attempts"] - r["book_nginx"]["booked"] for r in rounds)
    fig["refused_direct"] = sum(r["book_direct"]["attempts"] - r["book_direct"]["booked"] for r in rounds)
    fig["ratio_nginx"] = fig["book_nginx"] / fig["hello_nginx"]
    fig["ratio_direct"] = fig["book_direct"] / fig["hello_direct"]
    fig["nginx_vs_direct_booking"] = fig["book_nginx"] / fig["book_direct"]
    # each round's ratio is of phases seconds apart: steadier than the totals when the machine's load moves
    for where in ("nginx", "direct"):
        each = [r[f"book_{where}"]["throughput"] / r[f"hello_{where}"]["rate"] for r in rounds]
        fig[f"ratio_{where}_median_of_rounds"] = statistics.median(each)
    return fig


def report(rounds: list[dict], total: dict, args) -> str:
    lines = [
        f"{'phase (C=' + str(args.clients) + ')':<44}"
        + "".join(f"{'round ' + str(i + 1):>12}" for i in range(len(rounds)))
        + f"{'all':>12}"
    ]
    names = {
        "book_nginx": "bookings/s through nginx",
        "hello_nginx": f"GET {args.hello_path}/s through nginx",
        "book_direct": "bookings/s on the API port (no nginx)",
        "hello_direct": f"GET {args.hello_path}/s on the API port",
    }
    for phase, name in names.items():
        key = "throughput" if phase.startswith("book") else "rate"
        lines.append(f"{name:<44}" + "".join(f"{r[phase][key]:>12.0f}" for r in rounds) + f"{total[phase]:>12.0f}")
    ratio = "".join(f"{r['book_nginx']['throughput'] / r['hello_nginx']['rate']:>12.1%}" for r in rounds)
    lines.append(f"{'bookings : hello, through nginx':<44}{ratio}{total['ratio_nginx']:>12.1%}")
    ratio = "".join(f"{r['book_direct']['throughput'] / r['hello_direct']['rate']:>12.1%}" for r in rounds)
    lines.append(f"{'bookings : hello, on the API port':<44}{ratio}{total['ratio_direct']:>12.1%}")
    medians = f"{total['ratio_nginx_median_of_rounds']:.1%} / {total['ratio_direct_median_of_rounds']:.1%}"
    label = "median of the rounds' ratios (nginx / API port)"
    lines.append(f"{label:<44}{medians:>{12 * (len(rounds) + 1)}}")
    lines.append(f"{'refused bookings (nginx / direct)':<44}{total['refused_nginx']:>12} / {total['refused_direct']}")
    return "\n".join(lines)


def measure(args, ports: dict, database_url: str, meter_for) -> dict:
    """Load the program into the stack's database, then the rounds; the figures."""
    from televisit import clock
    from televisit.domain.timezones import parse_instant
    from televisit.extensions import db

    now = parse_instant(args.now)
    fig: dict = {}
    app = make_app(database_url)
    try:
        with app.app_context():
            ds, token = load(args, now, fig)
            need = 2 * args.rounds * args.bookings
            candidates = booking_candidates(ds, now, need, args.seed)
            db.session.remove()
        per = len(candidates) // (2 * args.rounds)
        log(f"  {len(candidates)} non-overlapping booking candidates: {per} per booking phase")
        chunks = [candidates[i * per : (i + 1) * per] for i in range(2 * args.rounds)]
        fig["rounds"] = [one_round(k, args, ports, token, chunks, ds, meter_for) for k in range(args.rounds)]
        with app.app_context():
            fig["overlaps"] = db.session.execute(OVERLAPS).scalar_one()
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.reset()
    fig["summary"] = summary(fig["rounds"])
    return fig


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fig: dict = {"machine": machine(), "args": vars(args), "load_average": [load_average()]}
    log(f"==> stack benchmark; load average {load_average()}")
    own = not args.url
    if own:
        url, database_url = f"http://127.0.0.1:{args.port}", recreate_database(args.admin_url, args.db_name)
        log(f"  database {args.db_name} (fresh)")
    else:
        url = args.url.rstrip("/")
        database_url = args.database_url or stack_setting(args.stack_dir, "TELEVISIT_DATABASE_URL")
        if not database_url:
            raise SystemExit("--url needs --database-url (or a --stack-dir with stack.env)")
        args.now = stack_setting(args.stack_dir, "TELEVISIT_NOW") or args.now
        refuse_loaded(database_url)
    split = urlsplit(url)
    if split.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the clients connect to 127.0.0.1: --url must be a stack on this machine")
    ports = {"nginx": split.port or 80, "direct": args.api_port or (split.port or 80) + 1}
    fig["url"], fig["ports"] = url, ports
    started = False
    try:
        if own:
            stack(args, "start")
            started = True
        pid = api_pid(args.stack_dir)
        db_name = database_url.rsplit("/", 1)[1]
        meter = cpu_meter(pid, args.admin_url, db_name) if pid else None
        t0 = time.perf_counter()
        fig.update(measure(args, ports, database_url, meter))
        fig["seconds"] = time.perf_counter() - t0
    finally:
        if started and not args.keep:
            stack(args, "stop")
        if own and not args.keep:
            drop_database(args.admin_url, args.db_name)
    fig["load_average"].append(load_average())
    m = fig["machine"]
    log(f"\nmachine: {m['cpus']} CPU ({m['cpu']}), Python {m['python']}, PostgreSQL {fig.get('pg')}")
    loads = " / ".join(fig["load_average"])
    log(f"stack: {url} (API workers 127.0.0.1:{ports['direct']}); load average at start/end: {loads}")
    log(f"overlapping active appointments afterwards (SQL self-join): {fig['overlaps']}")
    log(report(fig["rounds"], fig["summary"], args))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(fig, fh, indent=2, default=str)
    return 1 if fig["overlaps"] else 0


if __name__ == "__main__":
    sys.exit(main())
