"""What stands in front of the waiting-room handlers: reserved event names, and the chat throttle per socket.

Socket.IO reserves a few event names for its own life cycle (connect, disconnect, ...). python-socketio calls
the namespace's `on_connect`/`on_disconnect` for the real ones, but dispatches a client's *event* of the same
name to the same methods: a client could run the server's own connect handler (which raises: a traceback)
or its disconnect handler (which forgets the socket while it stays open). The server makes its own calls
while the socket is still joining or already leaving the namespace; a client's event is only dispatched while
the socket is fully connected. That tells them apart.

Chat (`message`, `send_message`) is throttled per socket with `limits`' moving window: with the default
"5 per 10 seconds" a socket may send a burst of 5, then one more as each of those is 10 s old. The counts live
in this process's memory, which is right for a socket: one process holds it for its whole life. A closed
socket's counts are not cleared by hand: they expire with their window (sids are never reused).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

# Socket.IO's reserved names (socket.io-client's RESERVED_EVENTS, the server's connect/disconnect/disconnecting)
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
RATE_LIMITED = "rate_limited"


def sent_by_client(server, event: str, sid: object, namespace: str) -> bool:
    """True when a reserved `event` came from the client as an ordinary event, not from the server's life cycle."""
    if event not in ("connect", "disconnect"):
        return True  # the server never dispatches the others to a namespace
    return bool(server.manager.is_connected(sid, namespace))


def parse_limit(spec: str) -> list[RateLimitItem]:
    """Rate limits in `limits`' notation ("5 per 10 seconds", several separated by ";"); ValueError if unreadable."""
    items = parse_many(spec)
    if not items:
        raise ValueError(f"no rate limit in {spec!r}")
    return items


class ChatThrottle:
    """At most so many chat messages per socket per window (a burst up to the limit is allowed)."""

    def __init__(self, spec: str):
        self.items = parse_limit(spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, sid: str) -> bool:
        """Count one message from `sid`; False when it is over a limit (it is then not counted)."""
        return all([self.limiter.hit(item, "chat", sid) for item in self.items])  # a list: hit every limit

    def retry_after(self, sid: str) -> int:
        """Whole seconds until `sid` may send again."""
        resets = [self.limiter.get_window_stats(item, "chat", sid).reset_time for item in self.items]
        return max(1, math.ceil(max(resets) - time.time()))

    def refusal(self, sid: str) -> dict:
        """The error ack for a message over the limit."""
        wait = self.retry_after(sid)
        message = f"You're sending messages too quickly. Please wait {wait} second{'s' if wait != 1 else ''}."
        return {"ok": False, "error": {"code": RATE_LIMITED, "message": message, "retry_after": wait}}
