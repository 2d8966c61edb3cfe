"""`flask backup create` and `flask backup drill` (docs/data-retention.md, "Backup") on both databases.

PostgreSQL: pg_dump of the test database, then a restore into a scratch database the drill creates and drops.
SQLite: the online backup API, then a restored copy in a temporary directory. A bad file, a missing directory
and an expired backup are each handled in plain words.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from televisit import clock
from televisit.extensions import db
from televisit.services.operations import backup as b
from tests import factories as f
from tests.conftest import _make_app, service_missing

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def booked(app, client):
    """A program with two visits booked through the API; the appointments' count the drill must find."""
    if db.engine.dialect.name == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        service_missing("pg_dump and pg_restore are not installed (Debian: postgresql-client)")
    p = f.program()
    h = f.token(client, "sched@example.org")
    for hour in (9, 10):
        body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
        body |= {"mode": "in_person", "start": f"2027-03-08T{hour:02d}:00:00-05:00"}
        r = client.post("/api/v1/appointments", json=body | {"patient_id": p.users["other"].patient_id}, headers=h)
        assert r.status_code == 201, r.json
    db.session.remove()
    return 2


def _cli(app, *args):
    clock.freeze(NOW)
    try:
        return app.test_cli_runner().invoke(args=["backup", *args])
    finally:
        clock.reset()


def test_a_backup_is_made_and_the_drill_restores_it(app, booked, tmp_path):
    made = _cli(app, "create", "--dir", str(tmp_path))
    assert made.exit_code == 0, made.output
    (dump,) = tmp_path.iterdir()
    kind = "sqlite3" if db.engine.dialect.name == "sqlite" else "dump"
    assert dump.name == f"televisit-20270301T1200Z.{kind}" and dump.stat().st_size > 0
    assert f"backup: {dump}" in made.output

    drilled = _cli(app, "drill", "--dir", str(tmp_path))
    assert drilled.exit_code == 0, drilled.output
    assert f"{booked} appointments" in drilled.output
    assert "(this code's head)" in drilled.output and f"restore drill passed: {dump}" in drilled.output
    if kind == "dump":  # the scratch database is gone again
        assert "dropped the scratch database televisit_drill_" in drilled.output
        names = db.session.execute(text("SELECT datname FROM pg_database")).scalars().all()
        assert not [n for n in names if n.startswith("televisit_drill_")]


def test_a_file_that_is_not_a_backup_fails_the_drill_in_words(app, booked, tmp_path):
    kind = "sqlite3" if db.engine.dialect.name == "sqlite" else "dump"
    bad = tmp_path / f"televisit-20270301T1200Z.{kind}"
    bad.write_bytes(b"this is not a database dump" * 100)
    drilled = _cli(app, "drill", "--file", str(bad))
    assert drilled.exit_code == 1
    assert "restore drill FAILED" in drilled.output
    assert ("pg_restore failed" if kind == "dump" else "is not a Televisit database") in drilled.output


def test_a_backup_of_another_schema_fails_the_drill(sqlite_url, tmp_path):
    """A copy that restores but is not at this code's migration head (an old release's) is not a pass (shown on
    SQLite, whose copy is easy to age; the check after pg_restore is the same code)."""
    app = _make_app(sqlite_url)
    with app.app_context():
        made = _cli(app, "create", "--dir", str(tmp_path))
        assert made.exit_code == 0, made.output
        (dump,) = tmp_path.iterdir()
        engine = create_engine(f"sqlite:///{dump}")
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        engine.dispose()
        drilled = _cli(app, "drill", "--dir", str(tmp_path))
        assert drilled.exit_code == 1 and "the restored schema is at 0001, this code at" in drilled.output


def test_no_backups_yet_is_said_plainly(app, tmp_path):
    drilled = _cli(app, "drill", "--dir", str(tmp_path / "none"))
    assert drilled.exit_code == 1
    assert "no backups in" in drilled.output and "flask backup create" in drilled.output


def test_expired_backups_are_deleted_and_the_newest_always_kept(tmp_path):
    for days in (40, 36, 34, 1):
        stamp = (NOW - timedelta(days=days)).strftime(b.STAMP)
        (tmp_path / f"televisit-{stamp}.dump").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    assert [p.name for p in b.expired(tmp_path, now=NOW, keep_days=35)] == [
        "televisit-20270120T1200Z.dump",
        "televisit-20270124T1200Z.dump",
    ]
    assert b.expired(tmp_path, now=NOW + timedelta(days=400), keep_days=35)[-1].name != b.latest(tmp_path).name
    assert b.latest(tmp_path) == Path(tmp_path / "televisit-20270228T1200Z.dump")
