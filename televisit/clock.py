"""The only module in Televisit that reads the current time (`now`; `wall_now` for heartbeats).

`TELEVISIT_NOW` (demos, tests) starts the clock at a given instant and lets it run on;
tests may also freeze or move it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

_UTC = timezone.utc
_state: dict[str, object] = {"anchor": None, "mono": 0.0, "frozen": None}


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    frozen = _state["frozen"]
    if frozen is not None:
        return frozen  # type: ignore[return-value]
    anchor = _state["anchor"]
    if anchor is None:
        return datetime.now(_UTC)
    elapsed = time.monotonic() - float(_state["mono"])  # type: ignore[arg-type]
    return anchor + timedelta(seconds=elapsed)  # type: ignore[operator]


def wall_now() -> datetime:
    """The real time, whatever the app clock says: for process liveness (heartbeats), never for visits."""
    return datetime.now(_UTC)


def start_at(instant: datetime) -> None:
    """Make the clock read `instant` now and run on from there."""
    _state.update(anchor=instant.astimezone(_UTC), mono=time.monotonic(), frozen=None)


def freeze(instant: datetime) -> None:
    """Stop the clock at `instant` (tests)."""
    _state.update(frozen=instant.astimezone(_UTC))


def reset() -> None:
    """Back to the real wall clock."""
    _state.update(anchor=None, mono=0.0, frozen=None)
