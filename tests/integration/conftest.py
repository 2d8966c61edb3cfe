"""Fixtures shared by the waiting-room tests on a live server (modules may define their own `live`/`w`)."""

from __future__ import annotations

import pytest

from tests.support.waiting_world import live_server, world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request):
    """One live server per test module and database, on a fresh database."""
    with live_server(request.param) as servers:
        yield servers[0]


@pytest.fixture
def w(live):
    """The clinic morning of tests/support/waiting_world.py on that server, wiped after each test."""
    yield from world(live)
