"""The message queue's listener waits briefly between attempts, so pages resync soon after Redis returns."""

from televisit.adapters.socket_emitter import RETRY_CAP, next_wait


def test_the_listener_waits_one_then_two_seconds_and_never_longer():
    waits = [1]
    for _ in range(6):
        waits.append(next_wait(waits[-1]))
    assert RETRY_CAP == 2
    assert waits == [1, 2, 2, 2, 2, 2, 2]  # python-socketio's own loop would reach 60 s
