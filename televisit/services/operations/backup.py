"""Backups and the restore drill (docs/data-retention.md, "Backup"): `flask backup create` and `flask backup drill`.

PostgreSQL is dumped with `pg_dump -Fc` (compressed, restorable table by table, into a newer server too); the
embedded SQLite database is copied with SQLite's online backup API (consistent while the service writes).
A dump is written under a temporary name and renamed when complete, so a failed or interrupted backup never
leaves a file that looks like a good one; dumps older than the kept days are then deleted.

The drill proves a dump restores: it restores it into a scratch database (PostgreSQL: a new database on the
same server, dropped afterwards; SQLite: a copy in a temporary directory), checks that the schema is at this
code's migration head and the overlap constraints are there, and counts the rows of the main tables.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

NAME = re.compile(r"^televisit-(\d{8}T\d{4}Z)\.(dump|sqlite3)$")
STAMP = "%Y%m%dT%H%MZ"
COUNTED = ("patients", "appointments", "clinicians", "users", "audit_events")
CONSTRAINTS = ("reservations_no_overlap_clinician", "reservations_no_overlap_resource")
TIMEOUT = 3600  # seconds for pg_dump / pg_restore
Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or a drill failed; the message says what and where."""


@dataclass
class DrillReport:
    """What the drill found in the restored copy."""

    dump: Path
    revision: str
    counts: dict[str, int] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Command-line connection options and environment (the password, never on the command line) for `url`."""
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-d", url.database or ""]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def create(db_url: str, directory: Path, *, now: datetime, keep_days: int, say: Say) -> Path:
    """Back the database at `db_url` up into `directory`; delete backups older than `keep_days` days."""
    url = make_url(db_url)
    directory.mkdir(parents=True, exist_ok=True)
    kind = "sqlite3" if url.get_backend_name() == "sqlite" else "dump"
    final = directory / f"televisit-{now.strftime(STAMP)}.{kind}"
    partial = final.with_name(final.name + ".partial")
    say(f"backing up {url.render_as_string(hide_password=True)} to {final}")
    try:
        if kind == "sqlite3":
            _sqlite_copy(Path(url.database or ""), partial)
        else:
            args, env = libpq(url)
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(partial), *args], env, "pg_dump")
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
    say(f"done: {final.stat().st_size:,} bytes")
    for old in expired(directory, now=now, keep_days=keep_days):
        old.unlink()
        say(f"deleted {old.name} (older than {keep_days} days)")
    return final


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a Televisit database: {exc}") from exc
    finally:
        src.close()
        dst.close()


def backups(directory: Path) -> list[tuple[datetime, Path]]:
    """The backups in `directory`, oldest first (by the time in their names)."""
    found = []
    for path in directory.glob("televisit-*") if directory.is_dir() else ():
        m = NAME.match(path.name)
        if m:
            found.append((datetime.strptime(m.group(1), STAMP), path))
    return sorted(found)


def expired(directory: Path, *, now: datetime, keep_days: int) -> list[Path]:
    """Backups older than `keep_days` days; the newest is always kept."""
    found = backups(directory)
    cutoff = now.replace(tzinfo=None) - timedelta(days=keep_days)
    return [path for at, path in found[:-1] if at < cutoff]


def latest(directory: Path) -> Path:
    """The newest backup in `directory`."""
    found = backups(directory)
    if not found:
        raise BackupError(f"no backups in {directory} (make one with: flask backup create)")
    return found[-1][1]


def drill(db_url: str, dump: Path, *, heads: frozenset[str], say: Say) -> DrillReport:
    """Restore `dump` into a scratch database beside `db_url`'s, check it, and drop the scratch copy."""
    if not dump.is_file():
        raise BackupError(f"no backup file at {dump}")
    url = make_url(db_url)
    if dump.suffix == ".sqlite3":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "restored.sqlite3"
            say(f"restoring {dump.name} into {copy}")
            _sqlite_copy(dump, copy)
            return _check(URL.create("sqlite", database=str(copy)), dump, heads, say)
    scratch = f"televisit_drill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        say(f"restoring {dump.name} into the scratch database {scratch}")
        args, env = libpq(url.set(database=scratch))
        restore = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", *args, str(dump)]
        _run(restore, env, "pg_restore")
        return _check(url.set(database=scratch), dump, heads, say)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()
        say(f"dropped the scratch database {scratch}")


def _check(url: URL, dump: Path, heads: frozenset[str], say: Say) -> DrillReport:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "sqlite":
                ok = conn.execute(text("PRAGMA integrity_check")).scalar()
                if ok != "ok":
                    raise BackupError(f"the restored copy fails SQLite's integrity check: {ok}")
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}
            constraints = _constraints(conn, url)
    except BackupError:
        raise
    except Exception as exc:  # a dump of something else, or a broken one: say so in words
        raise BackupError(f"the restored copy is not a Televisit database: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    if revision not in heads:
        raise BackupError(f"the restored schema is at {revision}, this code at {', '.join(sorted(heads))}")
    missing = sorted(set(CONSTRAINTS) - set(constraints))
    if missing:
        raise BackupError(f"the restored copy lacks {', '.join(missing)}: double bookings would not be refused")
    say(f"schema at {revision} (this code's head); " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    return DrillReport(dump, revision, counts, constraints)


def _constraints(conn, url: URL) -> tuple[str, ...]:
    """The overlap guards: PostgreSQL's exclusion constraints, or SQLite's triggers (one pair guards both)."""
    if url.get_backend_name() == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        guarded = {"reservations_no_overlap_insert", "reservations_no_overlap_update"} <= set(rows)
        return CONSTRAINTS if guarded else ()
    rows = conn.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'x'")).scalars()
    return tuple(sorted(set(rows) & set(CONSTRAINTS)))
