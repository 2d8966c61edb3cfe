"""A tumor board on `f.program()`: Tuesdays 07:30 at Cleveland (America/New_York), 90 minutes, three places,
with Dr. Cleveland and Mr. London as members; Dr. Weston (a clinician who is not a member) and sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from televisit.extensions import db
from televisit.models import Board, BoardCase, BoardSeats, Pathway
from tests import factories as f

TUESDAY = "2027-03-02"  # the day after the suite's clock (Monday 2027-03-01 12:00 UTC); 07:30 EST = 12:30 UTC
NEXT_TUESDAYS = ("2027-03-09", "2027-03-16", "2027-03-23", "2027-03-30")


@dataclass
class BoardWorld:
    """The program, the board, and bearer headers by role."""

    p: object
    board_id: int
    weston_doc: object
    pathway_id: int
    headers: dict

    @property
    def patient_id(self) -> int:
        return self.p.users["patient"].patient_id

    @property
    def other_patient_id(self) -> int:
        return self.p.users["other"].patient_id

    def list_case(self, client, who="scheduler", **body):
        """POST /boards/<id>/cases (the London patient, presented by Dr. Cleveland, unless told)."""
        payload = {"patient_id": self.patient_id, "question": "Surgery or radiosurgery first?"}
        payload |= {"presenter_id": self.p.us_doc.id, **body}
        return client.post(f"/api/v1/boards/{self.board_id}/cases", json=payload, headers=self.headers[who])


def build(client, *, capacity: int = 3) -> BoardWorld:
    """The board made through the API as an admin, and the people around it."""
    p = f.program()
    f.user("lon@example.org", "clinician")  # Mr. London's sign-in (a member)
    weston = f.clinician("Dr. Weston", visit_types=[p.consult], rules=[], email="wes@example.org")
    f.user("wes@example.org", "clinician")  # not a member
    pathway = Pathway(name="Surgical day", steps=[{"visit_type_id": p.consult.id}], min_gap_minutes=0,
                      max_gap_minutes=60, self_bookable=True)  # fmt: skip
    db.session.add(pathway)
    db.session.commit()
    emails = {
        "admin": "admin@example.org",
        "scheduler": "sched@example.org",
        "member": "cle@example.org",
        "london": "lon@example.org",
        "outsider": "wes@example.org",
        "patient": "pat@example.org",
    }
    headers = {who: f.token(client, email) for who, email in emails.items()}
    body = {
        "name": "Spine tumor board",
        "location_id": p.cleveland.id,
        "weekday": 1,
        "start": "07:30",
        "duration_minutes": 90,
        "capacity": capacity,
        "member_ids": [p.us_doc.id, p.uk_doc.id],
    }
    r = client.post("/api/v1/boards", json=body, headers=headers["admin"])
    assert r.status_code == 201, r.json
    return BoardWorld(p, r.json["id"], weston, pathway.id, headers)


def board_ids(p, now: datetime) -> dict:
    """A board and one listed case, straight into the database (for the access matrix and schemathesis)."""
    board = Board(name="Board", location_id=p.cleveland.id, weekday=1, start_minute=450, duration_minutes=90,
                  capacity=10, created_at=now)  # fmt: skip
    board.members = [p.us_doc]
    db.session.add(board)
    db.session.flush()
    day = datetime(2027, 3, 9).date()
    case = BoardCase(board_id=board.id, day=day, patient_id=p.users["patient"].patient_id, presenter_id=p.us_doc.id,
                     question="?", status="listed", imaging_ready=False, placed_at=now, created_at=now,
                     updated_at=now)  # fmt: skip
    db.session.add_all([case, BoardSeats(board_id=board.id, day=day, taken=1)])
    db.session.commit()
    return {"board_id": board.id, "board_case_id": case.id, "session_date": day.isoformat()}
