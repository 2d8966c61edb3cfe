"""The small rules behind /readyz and the log lines' request ids (no app, no database)."""

from __future__ import annotations

import pytest

from televisit import logs
from televisit.services.operations.readiness import NOT_CONFIGURED, OK, UNKNOWN, Readiness


@pytest.mark.parametrize(
    ("database", "migrations", "serving"),
    [
        (OK, OK, True),
        (OK, "ahead: database at 0010_x, code at 0009_care", True),
        (OK, "behind: database at 0008_messaging, code at 0009_care; run it", False),
        (OK, "not migrated: run it", False),
        ("unreachable (OperationalError)", UNKNOWN, False),
    ],
)
def test_only_the_database_and_the_schema_decide(database, migrations, serving):
    for redis in (OK, NOT_CONFIGURED, "unreachable (ConnectionError)"):
        for jobs in (OK, "silent since 2027-03-01T12:00:00Z"):
            state = Readiness(database, redis, migrations, jobs)
            assert state.serving is serving
            assert list(state.as_dict()) == ["database", "redis", "migrations", "jobs"]


@pytest.mark.parametrize("offered", ["lb-4242", "a" * 64, "9f1c.2:req_x-1"])
def test_a_plain_request_id_from_the_proxy_is_kept(offered):
    assert logs.accepted_id(offered) == offered


@pytest.mark.parametrize("offered", [None, "", "a" * 65, "two words", "id\nforged line", "Ada Lovelace", "<script>"])
def test_anything_else_gets_a_fresh_id(offered):
    fresh = logs.accepted_id(offered)
    assert fresh != offered and len(fresh) == 32 and fresh.isalnum()


def test_operations_settings_from_the_environment(monkeypatch):
    from config import DevConfig

    for name in ("TELEVISIT_LOG_FORMAT", "TELEVISIT_METRICS_TOKEN", "TELEVISIT_READY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    cfg = DevConfig()
    assert (cfg.LOG_FORMAT, cfg.METRICS_TOKEN, cfg.READY_TIMEOUT_SECONDS) == ("text", None, 2)
    monkeypatch.setenv("TELEVISIT_LOG_FORMAT", "JSON")
    monkeypatch.setenv("TELEVISIT_READY_TIMEOUT_SECONDS", "3")
    assert (DevConfig().LOG_FORMAT, DevConfig().READY_TIMEOUT_SECONDS) == ("json", 3)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TELEVISIT_LOG_FORMAT", "xml", "TELEVISIT_LOG_FORMAT must be one of text, json"),
        ("TELEVISIT_READY_TIMEOUT_SECONDS", "0", "TELEVISIT_READY_TIMEOUT_SECONDS must be at least 1"),
    ],
)
def test_unreadable_operations_settings_are_refused_by_name(monkeypatch, name, value, says):
    from config import ConfigError, DevConfig

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=says):
        DevConfig()


def test_production_refuses_a_short_metrics_token(monkeypatch):
    from config import ConfigError, load_config

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    monkeypatch.setenv("TELEVISIT_METRICS_TOKEN", "short")
    with pytest.raises(ConfigError, match="TELEVISIT_METRICS_TOKEN must be 32"):
        load_config("production")
    monkeypatch.setenv("TELEVISIT_METRICS_TOKEN", "m" * 32)
    assert load_config("production").METRICS_TOKEN == "m" * 32
