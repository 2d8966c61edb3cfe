"""TELEVISIT_PROXY_HOPS: behind nginx (deploy/nginx/televisit.conf, one hop) the client's address and scheme are the
ones nginx adds; without it no forwarded header is trusted (a client could pick its own address and escape the
sign-in throttle). Either way a relayed request is not "this machine" for /metrics."""

from __future__ import annotations

import pytest
from flask import request

import config
from televisit import create_app


def app_with(url: str, hops: int):
    cfg = config.TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.PROXY_HOPS = hops
    app = create_app(cfg)

    @app.get("/_who")
    def who():
        return {"address": request.remote_addr, "scheme": request.scheme}

    return app


RELAYED = {"X-Forwarded-For": "127.0.0.1, 198.51.100.7", "X-Forwarded-Proto": "https"}  # the client lied first


def test_one_hop_takes_the_address_and_scheme_nginx_added(sqlite_url):
    client = app_with(sqlite_url, 1).test_client()
    assert client.get("/_who", headers=RELAYED).json == {"address": "198.51.100.7", "scheme": "https"}
    assert client.get("/_who").json == {"address": "127.0.0.1", "scheme": "http"}


def test_by_default_no_forwarded_header_is_trusted(sqlite_url):
    client = app_with(sqlite_url, 0).test_client()
    assert client.get("/_who", headers=RELAYED).json == {"address": "127.0.0.1", "scheme": "http"}


@pytest.mark.parametrize("hops", [0, 1])
def test_a_relayed_request_is_not_from_this_machine_for_metrics(sqlite_url, hops):
    client = app_with(sqlite_url, hops).test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 401
    assert client.get("/metrics").status_code == 200


def test_hops_below_zero_are_refused(monkeypatch):
    monkeypatch.setenv("TELEVISIT_PROXY_HOPS", "-1")
    with pytest.raises(config.ConfigError, match="TELEVISIT_PROXY_HOPS"):
        config.TestConfig()
