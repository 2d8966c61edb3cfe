"""bench/ws_stack_bench.py's verdicts: which of issue 17's targets a run's figures meet."""

from bench.ws_stack_bench import verdicts


def figures(*, connections=5000, held=5000, dropped=0, p95=200.0, line=500, kill=None) -> dict:
    return {
        "args": {"connections": connections},
        "connect": {"failures": 0},
        "held": {"held": held, "requested": connections, "dropped": dropped},
        "broadcast": {"line": line, "deliveries": {"p95": p95}, "missing": 0, "strays": 0},
        "kill": kill,
    }


def recovered(patients=2500, **changes) -> dict:
    out = {"patients": patients, "checked_in_again": patients, "places_kept": patients, "state_kept": patients}
    return out | {"others_dropped": 0} | changes


def test_a_full_run_that_holds_everyone_and_recovers_passes():
    v = verdicts(figures(kill=recovered()))
    assert v == {"held": "PASS", "broadcast": "PASS", "memory": "recorded", "kill": "PASS"}


def test_a_drop_a_slow_broadcast_and_a_partial_recovery_are_misses():
    v = verdicts(figures(held=4999, dropped=1, p95=251.0, kill=recovered(checked_in_again=2000)))
    assert (v["held"], v["broadcast"], v["kill"]) == ("MISS", "MISS", "MISS")


def test_state_kept_is_not_enough_when_the_survivor_dropped_its_own():
    assert verdicts(figures(kill=recovered(others_dropped=3)))["kill"] == "MISS"


def test_a_small_run_that_passes_says_nothing_about_the_target_but_a_small_miss_is_a_miss():
    small = verdicts(figures(connections=1000, held=1000, line=100, kill=recovered(498)))
    assert (small["held"], small["broadcast"], small["kill"]) == ("-", "-", "-")
    assert verdicts(figures(connections=1000, held=1000, p95=917.0))["broadcast"] == "MISS"


def test_without_the_kill_phase_its_verdict_is_blank():
    assert verdicts(figures())["kill"] == "-"
