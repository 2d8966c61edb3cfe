"""/admin/audit names people (issue 14), both databases: each event's user and patient by name, linked to the
trail filtered on them, with the id beside it; a filter on an id says whose events these are."""

from __future__ import annotations

import re

from televisit.extensions import db
from tests import factories as f
from tests.support.desk_world import book, page, sign_in


def _row_cells(html: str, action: str) -> list[str]:
    """The cells of the first row whose action is `action`."""
    for row in re.findall(r"<tr><td data-label=\"When\">.*?</tr>", html, re.S):
        if f'data-label="Action">{action}<' in row:
            return re.findall(r'<td data-label="[^"]+">(.*?)</td>', row, re.S)
    raise AssertionError(f"no {action} row")


def test_events_name_the_user_and_the_patient_with_their_ids_beside(client):
    p = f.program()
    sched, patient = p.users["scheduler"], p.users["other"]
    sched.name, patient.patient.name = "Sam Scheduler", "Olu Ohio"
    db.session.commit()
    appt_id = book(client, p, "other")
    sign_in(client, "scheduler")
    page(client.get(f"/schedule/appointments/{appt_id}"))
    client.post("/logout")

    sign_in(client, "admin")
    # The trail is append-only and kept between tests while ids restart, so narrow to this reader's reads.
    pid = patient.patient_id
    query = f"appointment_id={appt_id}&user_id={sched.id}&patient_id={pid}&action=appointment.read"
    html = page(client.get(f"/admin/audit?{query}"))
    when, user, role, action, obj, who, *_ = _row_cells(html, "appointment.read")
    assert role == "scheduler" and obj == f"appointment #{appt_id}"
    assert (
        user == f'<a href="/admin/audit?user_id={sched.id}">Sam Scheduler</a> <small class="muted">#{sched.id}</small>'
    )
    assert who == f'<a href="/admin/audit?patient_id={pid}">Olu Ohio</a> <small class="muted">#{pid}</small>'

    html = page(client.get(f"/admin/audit?user_id={sched.id}"))
    assert re.search(r"\d+ events?, page 1 by Sam Scheduler\.", html)
    html = page(client.get(f"/admin/audit?patient_id={pid}"))
    assert re.search(r"\d+ events?, page 1 about Olu Ohio\.", html)
    assert "by user #999999" in page(client.get("/admin/audit?user_id=999999"))


def test_the_filters_are_one_field_each_and_errors_name_the_field_in_words(client):
    f.program()
    sign_in(client, "admin")
    html = page(client.get("/admin/audit"))
    form = re.search(r'<form method="get" class="filters audit-filters".*?</form>', html, re.S).group(0)
    fields = re.findall(r'<div class="field">\s*<label for="([a-z_]+)">', form)
    assert fields == ["user_id", "patient_id", "appointment_id", "action", "from", "to"]
    html = page(client.get("/admin/audit?from=2027-03-02&to=2027-03-01"), 422)
    assert '<p class="field-error" id="to-error">To (UTC day): must be on or after' in html
    assert re.search(
        r'<input id="to" name="to" type="date" value="2027-03-01" aria-invalid="true" aria-describedby="to-error">',
        html,
    )
