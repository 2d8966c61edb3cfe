"""SMART system scopes: what parses, what an admin may register, and what a token request is granted."""

from __future__ import annotations

import pytest

from televisit.domain.smart_scopes import REGISTRABLE, grant, parse, registrable


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("system/Slot.read", "rs"),
        ("system/Appointment.write", "cud"),
        ("system/Patient.*", "cruds"),
        ("system/Slot.rs", "rs"),
        ("system/Appointment.cruds", "cruds"),
        ("system/*.s", "s"),
    ],
)
def test_v1_and_v2_scopes_parse(text, letters):
    assert parse(text).letters == frozenset(letters)


@pytest.mark.parametrize(
    "text",
    [
        "patient/Slot.read",
        "user/Slot.rs",
        "system/Observation.read",  # not a type we serve
        "system/Slot",
        "system/Slot.",
        "system/Slot.sr",  # v2 letters keep the order c r u d s
        "system/Slot.rr",
        "system/Slot.rx",
        "system/Slot.rs?category=x",  # granular scopes are not offered
        "openid",
    ],
)
def test_other_scopes_do_not(text):
    assert parse(text) is None


def test_an_admin_registers_reads_and_writes_but_no_wildcard_write():
    assert all(registrable(parse(s)) for s in REGISTRABLE)
    assert registrable(parse("system/Appointment.cruds")) and registrable(parse("system/*.rs"))
    assert not registrable(parse("system/*.write")) and not registrable(parse("system/*.cruds"))


@pytest.mark.parametrize(
    ("requested", "registered", "granted"),
    [
        ("system/Slot.read", "system/Slot.read", ["system/Slot.read"]),
        ("system/Slot.rs", "system/Slot.read", ["system/Slot.rs"]),  # the same permission in v2
        ("system/Slot.read system/Patient.read", "system/Slot.read", ["system/Slot.read"]),
        ("system/Slot.cruds", "system/Slot.read", ["system/Slot.rs"]),  # the part registered
        ("system/*.read", "system/Slot.read system/Appointment.write", ["system/Slot.read"]),
        ("system/Location.read", "system/*.read", ["system/Location.read"]),
        ("system/*.read", "system/*.read", ["system/*.read"]),
        ("system/Appointment.cruds", "system/*.read system/Appointment.write", ["system/Appointment.cruds"]),
        ("system/Patient.read", "system/Slot.read", []),
        ("system/Slot.read system/Slot.read", "system/Slot.read", ["system/Slot.read"]),
        ("nonsense patient/Slot.read", "system/*.read", []),
        ("", "system/*.read", []),
    ],
)
def test_a_request_is_granted_what_the_registration_allows(requested, registered, granted):
    assert grant(requested, registered) == granted
