"""Where a sign-in lands (issue 14), both databases: each role on its work page, not the public home page; a
local `next` is honoured (a desk page sends an anonymous visitor to sign in and back), another site's never."""

from __future__ import annotations

import pytest

from tests import factories as f

WORK_PAGE = {
    "sched@example.org": "/schedule",
    "cle@example.org": "/clinic",
    "admin@example.org": "/admin",
    "pat@example.org": "/appointments",
}
UNSAFE = ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil.example")


def _sign_in(client, email: str, next_url: str | None = None):
    client.post("/logout")
    query = {"next": next_url} if next_url is not None else {}
    return client.post("/login", query_string=query, data={"email": email, "password": f.PASSWORD})


@pytest.mark.parametrize("email", sorted(WORK_PAGE))
def test_each_role_lands_on_its_work_page(client, email):
    f.program()
    r = _sign_in(client, email)
    assert r.status_code == 302 and r.headers["Location"] == WORK_PAGE[email]
    assert client.get(r.headers["Location"]).status_code == 200  # a page the role may open


def test_a_local_next_is_honoured_for_staff_and_another_sites_never(client):
    f.program()
    r = _sign_in(client, "sched@example.org", "/schedule/urgent?show=resolved")
    assert r.headers["Location"] == "/schedule/urgent?show=resolved"
    for bad in UNSAFE:
        r = _sign_in(client, "sched@example.org", bad)
        assert r.status_code == 302 and r.headers["Location"] == "/schedule", bad


def test_a_desk_page_sends_an_anonymous_visitor_to_sign_in_and_back(client):
    f.program()
    r = client.get("/schedule/urgent?show=resolved")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/schedule/urgent?show%3Dresolved"
    r = client.post(r.headers["Location"], data={"email": "admin@example.org", "password": f.PASSWORD})
    assert r.headers["Location"] == "/schedule/urgent?show=resolved"
    assert client.get(r.headers["Location"]).status_code == 200
