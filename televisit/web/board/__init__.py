"""The tumor board's pages (/board): for all staff. The sessions ahead, one session's agenda (list a case, tick
readiness, move, remove, record the outcome, join the video room) and the desk's "to book" queue."""

from televisit.web.board import agenda, queue  # noqa: F401  (each adds its routes)
from televisit.web.board.blueprint import bp

__all__ = ["bp"]
