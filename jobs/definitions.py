"""Job definitions as data: (name, seconds between runs, callable taking the app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class JobDef:
    """One periodic job."""

    name: str
    every_seconds: int
    run: Callable[[Flask], object]


def _heartbeat(app: Flask) -> str:
    """Proves the scheduler is alive; reminder dispatch and sweeps are added by later issues."""
    from televisit import clock

    return f"alive at {clock.now().isoformat(timespec='seconds')}"


JOBS: tuple[JobDef, ...] = (JobDef("heartbeat", 60, _heartbeat),)
