"""The jobs lock itself (televisit/services/operations/jobs_lock.py), in one process: two holders of the same database
exclude each other, the holder is named, a release or a lost session lets the other in. PostgreSQL (advisory lock)
and SQLite (flock beside the file); the real processes are in test_jobs_standby.py."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from televisit.services.operations.jobs_lock import AdvisoryLock, FileLock, NoLock, lock_file, lock_for
from tests.integration.test_dispatch_support import wait_until


def _pair(kind: str, tmp_path, pg_url: str | None):
    if kind == "sqlite":
        path = lock_file(str(tmp_path / "t.db"))
        return FileLock(path, "jobs@a:1"), FileLock(path, "jobs@b:2")
    engine = create_engine(pg_url)
    return lock_for(engine, "jobs@a:1"), lock_for(engine, "jobs@b:2")


def _exclusive(a, b) -> None:
    assert a.try_acquire() and a.still_held()
    assert a.try_acquire()  # asking again while holding it is harmless
    assert not b.try_acquire() and not b.still_held()
    assert b.holder() == "jobs@a:1"
    a.release()
    assert not a.still_held()
    assert b.try_acquire() and b.holder() == "jobs@b:2"
    assert not a.try_acquire()
    b.release()


def test_sqlite_holders_of_one_file_exclude_each_other(tmp_path):
    _exclusive(*_pair("sqlite", tmp_path, None))


def test_postgresql_holders_of_one_database_exclude_each_other(tmp_path, pg_url):
    a, b = _pair("postgresql", tmp_path, pg_url)
    assert isinstance(a, AdvisoryLock)
    _exclusive(a, b)


def test_a_lock_file_removed_under_its_holder_is_lost(tmp_path):
    a, b = _pair("sqlite", tmp_path, None)
    assert a.try_acquire()
    a.path.unlink()
    assert not a.still_held()
    assert b.try_acquire()  # a new file: the next process may run the jobs, and `a` knows it lost
    a.release()
    b.release()


def test_a_postgresql_session_ended_by_the_server_loses_its_lock(tmp_path, pg_url):
    a, b = _pair("postgresql", tmp_path, pg_url)
    assert a.try_acquire()
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        ended = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'jobs@a:1' AND datname = current_database()"
                " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"  # the holder's session
            )
        ).scalars()
        assert list(ended) == [True]
    assert wait_until(b.try_acquire, 10, every=0.05)  # once the server has ended that backend
    assert not a.still_held()
    b.release()
    admin.dispose()


def test_the_lock_follows_the_database(tmp_path):
    assert isinstance(lock_for(create_engine("sqlite://"), "x"), NoLock)  # in memory: one process sees it
    on_file = lock_for(create_engine(f"sqlite:///{tmp_path / 'a.db'}"), "x")
    assert isinstance(on_file, FileLock) and on_file.path == tmp_path / "a.db.jobs-lock"
