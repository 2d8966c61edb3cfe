"""Admin pages: locations, visit types (with reminder policy), clinicians, users and roles."""

from __future__ import annotations

from televisit.extensions import db
from televisit.models import Clinician, Location, User, VisitType
from tests import factories as f
from tests.support.desk_world import page, sign_in

LOCATION = {"name": "Weston", "city": "Weston", "region": "US-FL", "country": "US", "timezone": "America/New_York"}
VISIT = {"name": "Imaging review", "duration_minutes": "30", "buffer_before_minutes": "0", "buffer_after_minutes": "5"}
VISIT |= {"min_notice_minutes": "60", "max_advance_days": "90", "modes": ["virtual"]}


def test_schedulers_and_others_get_403_on_admin(app, client):
    f.program()
    for who in ("scheduler", "clinician", "other"):
        sign_in(client, who)
        assert "This page is for admins only." in page(client.get("/admin"), 403)
        page(client.post("/admin/locations", data=LOCATION), 403)
        client.post("/logout")
    assert db.session.query(Location).count() == 2


def test_admin_overview_and_lists(app, client):
    f.program()
    sign_in(client, "admin")
    assert "Locations" in page(client.get("/admin")) and "2 sites" in page(client.get("/admin"))
    for url, text in (
        ("/admin/locations", "Europe/London"),
        ("/admin/visit-types", "default (48 h email+SMS, 2 h SMS)"),
        ("/admin/clinicians", "US-OH, US-FL"),
        ("/admin/users", "sched@example.org"),
    ):
        assert text in page(client.get(url)), url


def test_create_and_edit_a_location_with_shared_validation(app, client):
    f.program()
    sign_in(client, "admin")
    html = page(client.post("/admin/locations", data=LOCATION | {"timezone": "Florida", "region": "Florida"}), 422)
    assert 'id="timezone-error"' in html and "unknown IANA time zone" in html and 'id="region-error"' in html
    assert client.post("/admin/locations", data=LOCATION).status_code == 302
    loc = db.session.query(Location).filter_by(name="Weston").one()
    assert page(client.post("/admin/locations", data=LOCATION), 409).count("a location with this name exists") >= 1
    r = client.post(f"/admin/locations/{loc.id}", data=LOCATION | {"name": "Weston Florida Clinic"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Location, loc.id).name == "Weston Florida Clinic"
    page(client.get("/admin/locations/999"), 404)


def test_visit_types_with_a_reminder_policy(app, client):
    f.program()
    sign_in(client, "admin")
    reminders = {"reminder-0-name": "72h", "reminder-0-minutes": "4320", "reminder-0-channels": ["email"]}
    reminders |= {"reminder-1-name": "3h", "reminder-1-minutes": "180", "reminder-1-channels": ["sms", "email"]}
    assert client.post("/admin/visit-types", data=VISIT | reminders).status_code == 302
    vt = db.session.query(VisitType).filter_by(name="Imaging review").one()
    assert vt.reminder_policy == [
        {"name": "72h", "minutes_before": 4320, "channels": ["email"]},
        {"name": "3h", "minutes_before": 180, "channels": ["sms", "email"]},
    ]
    assert (vt.duration_minutes, vt.modes, vt.min_notice_minutes) == (30, ["virtual"], 60)
    assert "3 days (email)" in page(client.get("/admin/visit-types"))
    bad = VISIT | {"reminder-0-name": "soon", "reminder-0-minutes": "5", "reminder-0-channels": ["sms"]}
    html = page(client.post(f"/admin/visit-types/{vt.id}", data=bad | {"duration_minutes": "2", "modes": []}), 422)
    assert 'id="duration-minutes-error"' in html and 'id="modes-error"' in html
    html = page(client.post(f"/admin/visit-types/{vt.id}", data=bad), 422)
    assert "minutes_before must be from 15 to 20160" in html
    assert client.post(f"/admin/visit-types/{vt.id}", data=VISIT | {"reminder_default": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitType, vt.id).reminder_policy is None


def test_edit_a_clinician_licences_and_visit_types(app, client):
    p = f.program()
    sign_in(client, "admin")
    html = page(client.get(f"/admin/clinicians/{p.us_doc.id}"))
    assert 'value="US-OH, US-FL"' in html and "edit hours and time off" in html
    form = {
        "name": "Dr. Cleveland",
        "specialty": "neurosurgery",
        "licenses": "us-oh, US-PA;GB",
        "email": "cle@example.org",
    }
    r = client.post(f"/admin/clinicians/{p.us_doc.id}", data=form | {"visit_type_ids": [str(p.consult.id)]})
    assert r.status_code == 302
    db.session.expire_all()
    c = db.session.get(Clinician, p.us_doc.id)
    assert c.licenses == ["US-OH", "US-PA", "GB"] and [vt.id for vt in c.visit_types] == [p.consult.id]
    bad = form | {"licenses": "Ohio", "specialty": "astrology", "phone": "555"}
    html = page(client.post(f"/admin/clinicians/{p.us_doc.id}", data=bad), 422)
    assert 'id="licenses-error"' in html and 'id="specialty-error"' in html and 'id="phone-error"' in html


def test_create_a_clinician_links_a_user_with_the_same_email(app, client):
    p = f.program()
    user = f.user("new.doc@example.org", "clinician")
    sign_in(client, "admin")
    form = {"name": "Dr. New", "specialty": "neurology", "licenses": "US-OH", "email": "new.doc@example.org"}
    assert client.post("/admin/clinicians", data=form | {"visit_type_ids": [str(p.consult.id)]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).clinician_id is not None


def test_users_create_and_change_roles(app, client):
    f.program()
    sign_in(client, "admin")
    html = page(client.post("/admin/users", data={"email": "bad", "password": "short", "role": "scheduler"}), 422)
    assert 'id="email-error"' in html and 'id="password-error"' in html
    data = {"email": "desk2@example.org", "password": "long-enough-pw", "role": "scheduler", "name": "Desk Two"}
    assert client.post("/admin/users", data=data).status_code == 302
    user = db.session.query(User).filter_by(email="desk2@example.org").one()
    r = client.post(f"/admin/users/{user.id}", data={"name": "Desk Two", "role": "admin", "active": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).role == "admin"
    patient = db.session.query(User).filter_by(email="other@example.org").one()
    html = page(client.post(f"/admin/users/{patient.id}", data={"name": "x", "role": "scheduler", "active": "1"}), 422)
    assert "a patient stays a patient" in html


def test_an_admin_cannot_lock_themself_out(app, client):
    p = f.program()
    sign_in(client, "admin")
    me = p.users["admin"].id
    html = page(client.post(f"/admin/users/{me}", data={"name": "Admin", "role": "scheduler", "active": "1"}), 422)
    assert "you cannot demote or deactivate yourself" in html
    page(client.post(f"/admin/users/{me}", data={"name": "Admin", "role": "admin"}), 422)
    db.session.expire_all()
    assert db.session.get(User, me).role == "admin" and db.session.get(User, me).active
