"""Issue 12, item 10 (pure parts): which characters chat refuses, the throttle's window, its setting.

The live-server proof is tests/integration/test_hardening_waiting_socket.py; these pin the rules themselves.
"""

from __future__ import annotations

import pytest

from config import ConfigError, DevConfig
from televisit.domain import waiting_room as wr
from televisit.web.socket_guard import ChatThrottle


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain text", []),
        ("two\nlines\tand a tab", []),
        ("windows\r\nline end", []),
        ("caf\u00e9 \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \U0001f600 \u00a0nbsp", []),
        ("nul\x00", ["U+0000"]),
        ("lone\rreturn", ["U+000D"]),
        ("\x1b[2J\x7f", ["U+001B", "U+007F"]),
        ("c1\x80\x9f", ["U+0080", "U+009F"]),
        ("\u202a\u202b\u202c\u202d\u202e", ["U+202A", "U+202B", "U+202C", "U+202D", "U+202E"]),
        ("\u2066\u2067\u2068\u2069", ["U+2066", "U+2067", "U+2068", "U+2069"]),
        ("\u200e\u200f\u061c", ["U+061C", "U+200E", "U+200F"]),
    ],
)
def test_unsafe_characters_are_named(text, found):
    assert wr.unsafe_characters(text) == found


@pytest.mark.parametrize(
    ("text", "clean"),
    [("  a\r\nb  ", "a\nb"), ("tab\there", "tab\there"), ("trailing\x85", None), ("\u202ex", None)],
)
def test_clean_text_keeps_lines_and_refuses_controls_even_at_the_ends(text, clean):
    assert wr.clean_text(text) == clean


def test_the_throttle_allows_a_burst_then_refuses_with_a_wait():
    throttle = ChatThrottle("3 per 10 seconds")
    assert [throttle.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert throttle.allow("b") is True  # per socket
    refusal = throttle.refusal("a")
    assert refusal["ok"] is False and refusal["error"]["code"] == "rate_limited"
    assert 1 <= refusal["error"]["retry_after"] <= 10
    assert f"{refusal['error']['retry_after']} second" in refusal["error"]["message"]


def test_the_message_limit_is_read_and_checked_at_start(monkeypatch):
    monkeypatch.delenv("TELEVISIT_WAITING_MESSAGE_LIMIT", raising=False)
    assert DevConfig().WAITING_MESSAGE_LIMIT == "5 per 10 seconds"
    monkeypatch.setenv("TELEVISIT_WAITING_MESSAGE_LIMIT", "3 per 5 seconds; 20 per minute")
    assert DevConfig().WAITING_MESSAGE_LIMIT == "3 per 5 seconds; 20 per minute"
    monkeypatch.setenv("TELEVISIT_WAITING_MESSAGE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="TELEVISIT_WAITING_MESSAGE_LIMIT"):
        DevConfig()
