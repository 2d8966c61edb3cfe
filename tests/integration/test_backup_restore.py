"""Backup and restore (docs/data-retention.md): `pg_dump -Fc` of a database with bookings, `pg_restore` into a
new database, and the copy has the same rows, the overlap exclusion constraint, the triggers, and works.

Uses the shared PostgreSQL server with two uniquely named databases of its own, dropped afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from televisit.extensions import db
from tests import factories as f
from tests.conftest import PG_ADMIN_URL, _make_app, _migrate, _pg_reachable, service_missing

TABLES = ["patients", "users", "appointments", "outbox_messages", "availability_rules", "clinicians", "audit_events"]
CONSTRAINTS = (
    "SELECT conname, contype FROM pg_constraint JOIN pg_namespace n ON n.oid = connamespace WHERE nspname = 'public'"
)
TRIGGERS = "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"


def _libpq_args(name: str) -> list[str]:
    parts = urlsplit(PG_ADMIN_URL.replace("+psycopg", ""))
    return [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "-d",
        name,
    ]


@pytest.fixture
def databases():
    problem = _pg_reachable()
    if problem:
        service_missing(problem)
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        service_missing("pg_dump and pg_restore are not installed")
    names = [f"televisit_backup_{uuid.uuid4().hex[:8]}", f"televisit_restored_{uuid.uuid4().hex[:8]}"]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield [(name, f"{base}/{name}") for name in names]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _book(url: str) -> list[int]:
    """A program and three bookings through the API, on the database at `url`; returns their ids."""
    app = _make_app(url)
    ids = []
    with app.app_context():
        p = f.program()
        client = app.test_client()
        h = f.token(client, "sched@example.org")
        for hour in (9, 10, 11):
            body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
            body |= {"mode": "in_person", "start": f"2027-03-08T{hour:02d}:00:00-05:00"}
            r = client.post("/api/v1/appointments", json=body | {"patient_id": p.users["other"].patient_id}, headers=h)
            assert r.status_code == 201, r.json
            ids.append(r.json["id"])
        db.session.remove()
        db.engine.dispose()
    return ids


def _snapshot(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        snap = {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in TABLES}
        snap["constraints"] = sorted(conn.execute(text(CONSTRAINTS)).all())
        snap["triggers"] = sorted(conn.execute(text(TRIGGERS)).all())
        snap["alembic"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return snap


def test_pg_dump_restores_into_a_new_database_with_data_constraints_and_triggers(databases, tmp_path):
    (source, source_url), (target, target_url) = databases
    _migrate(source_url)
    booked = _book(source_url)
    dump = tmp_path / "televisit.dump"

    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), *_libpq_args(source)], check=True, timeout=120)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", *_libpq_args(target), str(dump)],
        check=True,
        timeout=120,
    )

    before, after = _snapshot(source_url), _snapshot(target_url)
    assert [row[0] for row in after["appointments"]] == booked
    assert after["outbox_messages"] and after["patients"] and after["users"]
    for key in [*TABLES, "constraints", "triggers", "alembic"]:
        assert after[key] == before[key], key
    assert ("reservations_no_overlap_clinician", "x") in after["constraints"]  # EXCLUDE USING gist
    assert ("reservations_no_overlap_resource", "x") in after["constraints"]
    assert {name for name, _ in after["triggers"]} >= {"audit_events_no_update", "audit_events_no_truncate"}

    # The restored copy is a working database: the constraint and the triggers still act.
    engine = create_engine(target_url)
    with engine.connect() as conn:
        with pytest.raises(Exception, match="reservations_no_overlap_clinician"):
            conn.execute(
                text(
                    "INSERT INTO reservations"
                    " (appointment_id, clinician_id, is_primary, block_start, block_end, holding)"
                    " SELECT appointment_id, clinician_id, false, block_start, block_end, true"
                    " FROM reservations WHERE holding LIMIT 1"
                )
            )
        conn.rollback()
        if after["audit_events"]:
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text("DELETE FROM audit_events"))
            conn.rollback()
    engine.dispose()
