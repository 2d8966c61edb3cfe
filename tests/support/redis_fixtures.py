"""Fixtures for tests that kill, freeze and restart Redis under live servers: import them into the test module
(`from tests.support.redis_fixtures import private_redis_fixture, world_fixture`: they are named `private_redis`
and `w`) beside a module-scoped `pair` of live servers that share `private_redis.url`."""

from __future__ import annotations

import pytest

from tests.support.private_redis import PrivateRedis, redis_server
from tests.support.waiting_world import world


@pytest.fixture(scope="module", name="private_redis")
def private_redis_fixture():
    """A redis-server of the module's own (the shared one on 6379 is never touched)."""
    r = PrivateRedis(redis_server()).start()
    yield r
    r.destroy()


@pytest.fixture(name="w")
def world_fixture(pair, private_redis):
    """The waiting-room world on the first server of `pair`, with Redis up again if a failed test left it down."""
    if not private_redis.ping():
        private_redis.start()
    yield from world(pair[0])
