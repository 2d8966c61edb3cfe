"""The operations commands, run through Flask's CLI test runner on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import AvailabilityRule, Clinician, Location, Patient, User, VisitType
from tests import factories as f

CATALOG = (Location, Clinician, VisitType, AvailabilityRule)


@pytest.fixture
def cli(app, frozen_now):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run


def _counts(*models) -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def _ids(model) -> list[int]:
    return list(db.session.scalars(select(model.id).order_by(model.id)))


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email == email)).first()


def test_seed_demo_is_idempotent(cli):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    assert "Demo program loaded" in first.output
    counts = _counts(*CATALOG)
    assert counts["Location"] == 3 and all(n > 0 for n in counts.values()), counts
    ids = {m.__name__: _ids(m) for m in CATALOG[:3]}
    second = cli("seed-demo")
    assert second.exit_code == 0, second.output
    assert _counts(*CATALOG) == counts
    assert {m.__name__: _ids(m) for m in CATALOG[:3]} == ids  # updated in place, not re-created


def test_seed_demo_with_users_is_idempotent_and_they_can_sign_in(cli, app):
    assert cli("seed-demo", "--with-users").exit_code == 0
    users = _counts(User, Patient)
    assert users["User"] >= 4 and users["Patient"] >= 1
    assert cli("seed-demo", "--with-users").exit_code == 0
    assert _counts(User, Patient) == users
    r = app.test_client().post(
        "/api/v1/auth/token", json={"email": "admin@demo.televisit.local", "password": "televisit-demo"}
    )
    assert r.status_code == 200 and r.json["role"] == "admin"


def test_seed_demo_keeps_bookable_slots(cli, app):
    assert cli("seed-demo").exit_code == 0
    client = app.test_client()
    vt = client.get("/api/v1/visit-types").json["visit_types"][0]
    q = {"visit_type_id": vt["id"], "from": "2027-03-08", "to": "2027-03-19", "mode": "in_person"}
    assert client.get("/api/v1/slots", query_string=q).json["slots"], "the demo program offers no slots"


@pytest.mark.parametrize("role", ["admin", "scheduler"])
def test_users_create_staff(cli, app, role):
    r = cli(
        "users",
        "create",
        "--email",
        f"{role}@cli.test",
        "--password",
        "long-enough-pw",
        "--role",
        role,
        "--name",
        "Ann",
    )
    assert r.exit_code == 0, r.output
    assert f"Created {role} {role}@cli.test" in r.output
    user = _user(f"{role}@cli.test")
    assert (user.role, user.name, user.patient_id, user.clinician_id) == (role, "Ann", None, None)
    assert user.password_hash != "long-enough-pw"
    token = app.test_client().post(
        "/api/v1/auth/token", json={"email": f"{role}@cli.test", "password": "long-enough-pw"}
    )
    assert token.status_code == 200 and token.json["role"] == role


def test_users_create_patient_gets_a_patient_record(cli):
    r = cli(
        "users",
        "create",
        "--email",
        "Pat@CLI.test",
        "--password",
        "long-enough-pw",
        "--role",
        "patient",
        "--timezone",
        "Europe/London",
    )
    assert r.exit_code == 0, r.output
    user = _user("pat@cli.test")
    assert user is not None and user.role == "patient" and user.patient_id is not None
    patient = db.session.get(Patient, user.patient_id)
    assert (patient.email, patient.timezone) == ("pat@cli.test", "Europe/London")
    assert f"patient #{patient.id}" in r.output


def test_users_create_clinician_links_by_email(cli):
    doc = f.clinician("Dr. Cli", visit_types=[], rules=[], email="doc@cli.test")
    r = cli("users", "create", "--email", "DOC@cli.test", "--password", "long-enough-pw", "--role", "clinician")
    assert r.exit_code == 0, r.output
    user = _user("doc@cli.test")
    assert user.clinician_id == doc.id and user.patient_id is None
    assert f"clinician #{doc.id}" in r.output
    alone = cli("users", "create", "--email", "nobody@cli.test", "--password", "long-enough-pw", "--role", "clinician")
    assert alone.exit_code == 0 and _user("nobody@cli.test").clinician_id is None


def test_users_create_refuses_a_duplicate_email(cli):
    args = ["users", "create", "--password", "long-enough-pw", "--role", "scheduler"]
    assert cli(*args, "--email", "dup@cli.test").exit_code == 0
    for email in ("dup@cli.test", "DUP@cli.test"):
        r = cli(*args[:-1], "patient", "--email", email)
        assert r.exit_code != 0
        assert "exists" in r.output.lower()
    assert _counts(User, Patient) == {"User": 1, "Patient": 0}
    assert _user("dup@cli.test").role == "scheduler"


def test_users_create_rejects_bad_input(cli):
    cases = [
        (["--role", "superuser"], "--role"),
        (["--role", "Admin"], "--role"),
        (["--role", "patient", "--email", "not-an-email"], "email"),
        (["--role", "patient", "--password", "short"], "password"),
        (["--role", "patient", "--timezone", "Mars/Olympus"], "timezone"),
    ]
    for extra, word in cases:
        base = {"--email": "x@cli.test", "--password": "long-enough-pw"}
        for i in range(0, len(extra), 2):
            base[extra[i]] = extra[i + 1]
        r = cli("users", "create", *[x for kv in base.items() for x in kv])
        assert r.exit_code != 0, (extra, r.output)
        assert word in r.output, (extra, r.output)
    assert cli("users", "create", "--email", "x@cli.test", "--password", "long-enough-pw").exit_code != 0  # no role
    assert _counts(User, Patient) == {"User": 0, "Patient": 0}
