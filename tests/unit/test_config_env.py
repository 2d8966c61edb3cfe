"""Settings read from the environment: numbers and JSON lists are checked at start, with the variable named."""

from __future__ import annotations

import pytest

from config import ConfigError, DevConfig


def test_defaults_when_unset(monkeypatch):
    for name in ("TELEVISIT_OUTBOX_THREADS", "TELEVISIT_OUTBOX_BATCH", "TELEVISIT_ICE_SERVERS"):
        monkeypatch.delenv(name, raising=False)
    cfg = DevConfig()
    assert (cfg.OUTBOX_THREADS, cfg.OUTBOX_BATCH, cfg.ICE_SERVERS) == (0, 50, [])


def test_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEVISIT_OUTBOX_THREADS", "3")
    monkeypatch.setenv("TELEVISIT_OUTBOX_BATCH", "20")
    monkeypatch.setenv("TELEVISIT_ICE_SERVERS", '[{"urls": "stun:stun.example.org:3478"}]')
    cfg = DevConfig()
    assert (cfg.OUTBOX_THREADS, cfg.OUTBOX_BATCH) == (3, 20)
    assert cfg.ICE_SERVERS == [{"urls": "stun:stun.example.org:3478"}]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEVISIT_OUTBOX_THREADS", "eight"),
        ("TELEVISIT_OUTBOX_BATCH", "5.5"),
        ("TELEVISIT_ICE_SERVERS", "stun:stun.example.org"),
        ("TELEVISIT_ICE_SERVERS", '{"urls": "stun:x"}'),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        DevConfig()


def test_socketio_async_mode_and_pool_timeout(monkeypatch):
    for name in ("TELEVISIT_SOCKETIO_ASYNC", "TELEVISIT_DB_POOL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    cfg = DevConfig()
    assert (cfg.SOCKETIO_ASYNC_MODE, cfg.DB_POOL_TIMEOUT) == ("threading", 30)
    monkeypatch.setenv("TELEVISIT_SOCKETIO_ASYNC", "GEVENT")
    monkeypatch.setenv("TELEVISIT_DB_POOL_TIMEOUT", "5")
    cfg = DevConfig()
    assert (cfg.SOCKETIO_ASYNC_MODE, cfg.DB_POOL_TIMEOUT) == ("gevent", 5)


@pytest.mark.parametrize(
    ("name", "value"), [("TELEVISIT_SOCKETIO_ASYNC", "eventlet"), ("TELEVISIT_DB_POOL_TIMEOUT", "0")]
)
def test_a_bad_async_mode_or_pool_timeout_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        DevConfig()


def test_the_pool_waits_db_pool_timeout_for_a_connection():
    from televisit import _pool_options

    url = "postgresql+psycopg://x@127.0.0.1/x"
    assert _pool_options({"SQLALCHEMY_DATABASE_URI": url, "DB_POOL_TIMEOUT": 7})["pool_timeout"] == 7
    assert _pool_options({"SQLALCHEMY_DATABASE_URI": "sqlite://"}) == {}


def test_gevent_mode_is_refused_in_a_process_gevent_did_not_patch():
    from televisit import socketio_async_mode

    assert socketio_async_mode("threading") == "threading"  # this test process is not patched
    with pytest.raises(ConfigError, match="needs gevent's monkey-patching"):
        socketio_async_mode("gevent")


def test_threading_mode_is_refused_in_a_process_gevent_patched():
    import subprocess
    import sys

    code = (
        "from gevent import monkey; monkey.patch_all()\n"
        "from televisit import socketio_async_mode\n"
        "assert socketio_async_mode('gevent') == 'gevent'\n"
        "try:\n    socketio_async_mode('threading')\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("ConfigError this process is monkey-patched by gevent"), done.stdout + done.stderr
