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
