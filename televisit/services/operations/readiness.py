"""Is this web process ready to serve (GET /readyz, docs/operations.md)?

Four answers, each "ok" or what is wrong: the database (reachable within the probe's timeout), the schema
(at the code's Alembic head), Redis (answers a PING; "not configured" when there is none) and the jobs process
(its heartbeat is recent; standby jobs processes are named when it is not). Only the first two make a process
unable to serve; a silent jobs process or a Redis outage is the same for every web process, so it is reported,
never a reason to take them all out of the balancer.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from televisit.adapters.socket_emitter import ping
from televisit.services.operations.probe import reading
from televisit.services.waiting_room import processes

OK = "ok"
NOT_CONFIGURED = "not configured"
AHEAD = "ahead"  # the database is at a revision this code does not know (a newer release migrated it)
UNKNOWN = "unknown: the database is unreachable"


@dataclass(frozen=True)
class Readiness:
    """The four answers, in the order API.md lists them."""

    database: str
    redis: str
    migrations: str
    jobs: str

    @property
    def serving(self) -> bool:
        """This process can serve: the database answers and its schema is not behind the code."""
        return self.database == OK and (self.migrations == OK or self.migrations.startswith(AHEAD))

    def as_dict(self) -> dict[str, str]:
        """The JSON body."""
        return asdict(self)


@dataclass(frozen=True)
class Probe:
    """What to check and how long to wait."""

    engine: Engine
    migrations_dir: str
    timeout: float
    redis_url: str | None
    jobs_stale: timedelta


def check(probe: Probe, *, wall_now: datetime) -> Readiness:
    """Ask the database (schema and jobs' heartbeat included) and Redis."""
    database, migrations, jobs = _database(probe, wall_now)
    return Readiness(database, _redis(probe.redis_url, probe.timeout), migrations, jobs)


@functools.lru_cache(maxsize=4)
def code_heads(migrations_dir: str) -> frozenset[str]:
    """The Alembic head revision(s) of this code's migrations (read once per process)."""
    return frozenset(ScriptDirectory(migrations_dir).get_heads())


@functools.lru_cache(maxsize=4)
def _known(migrations_dir: str) -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory(migrations_dir).walk_revisions())


def _database(probe: Probe, wall_now: datetime) -> tuple[str, str, str]:
    try:
        with reading(probe.engine, probe.timeout) as conn:
            conn.execute(text("SELECT 1"))
            migrations = _schema(conn, probe.migrations_dir)
            jobs = _jobs(conn, probe.jobs_stale, wall_now) if migrations == OK or migrations.startswith(AHEAD) else None
    except SQLAlchemyError as exc:
        return f"unreachable ({type(getattr(exc, 'orig', None) or exc).__name__})", UNKNOWN, UNKNOWN
    return OK, migrations, jobs or "unknown: the schema is not at the code's revision"


def _schema(conn: Connection, migrations_dir: str) -> str:
    """OK, or how the database's revision differs from the code's head."""
    heads = code_heads(migrations_dir)
    if not inspect(conn).has_table("alembic_version"):
        return "not migrated: run `flask --app wsgi db upgrade`"
    at = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if at == heads:
        return OK
    said = f"database at {', '.join(sorted(at)) or 'nothing'}, code at {', '.join(sorted(heads))}"
    if at - _known(migrations_dir):
        return f"{AHEAD}: {said}"
    return f"behind: {said}; run `flask --app wsgi db upgrade`"


def _jobs(conn: Connection, stale: timedelta, wall_now: datetime) -> str:
    """OK while the jobs process's heartbeat is recent."""
    last = processes.last_beat(conn, processes.JOBS)
    if last is not None and wall_now - last <= stale:
        return OK
    silent = f"silent since {last:%Y-%m-%dT%H:%M:%SZ}" if last else "silent: no heartbeat from a jobs process yet"
    standbys = processes.live_names(conn, processes.JOBS_STANDBY, since=wall_now - stale)
    # A standby beating while no process is active: the lock's holder is alive but not running the jobs.
    return f"{silent}; standby waiting for the jobs lock: {', '.join(standbys)}" if standbys else silent


def _redis(url: str | None, timeout: float) -> str:
    if not url:
        return NOT_CONFIGURED
    try:
        ping(url, timeout=min(timeout, 1.0))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"unreachable ({type(exc).__name__})"
    return OK
