"""The call's participants and its size limit (pure rules, televisit/domain/waiting_room.py)."""

from __future__ import annotations

import pytest

from televisit.domain import waiting_room as wr
from televisit.domain.errors import Conflict, NotLicensed


def test_a_one_clinician_visit_keeps_its_two_sides():
    assert wr.participant_ids([7]) == ["patient", "clinician"]
    assert wr.clinician_peer(7, [7]) == "clinician"


def test_each_clinician_of_a_joint_visit_has_their_own_id():
    assert wr.participant_ids([7, 3]) == ["patient", "clinician-7", "clinician-3"]
    assert wr.clinician_peer(3, [7, 3]) == "clinician-3"


def test_a_call_holds_at_most_eight_people():
    assert wr.MAX_CALL_PARTICIPANTS == 8
    wr.require_call_size(8)
    with pytest.raises(Conflict, match="at most 8 people"):
        wr.require_call_size(9)


def test_peer_ids_are_short_strings_and_licences_are_checked():
    assert wr.valid_peer_id("clinician-12")
    assert not any(wr.valid_peer_id(v) for v in ("", None, 12, "x" * 41, ["patient"]))
    wr.require_licensed(True)
    wr.require_licensed(None)  # the region is unknown: allowed, as at admit
    with pytest.raises(NotLicensed):
        wr.require_licensed(False)
