"""Issue 18.5: sign-in starts and callbacks per address, upload creation, status polls and CSV
exports per user are limited; the 429 page says when to try again (Retry-After), as a page, an
htmx fragment, or JSON for the uploader."""
from __future__ import annotations

import pytest

from portal import limits
from tests.support.login import login
from tests.support.portal import make_app


@pytest.fixture
def limited_app(database_url, app):
    return make_app(database_url)      # per test: fresh counters


def hammer(client, n, *args, **kw):
    return [client.get(*args, **kw).status_code for _ in range(n)]


def test_sign_in_starts_are_limited_per_address(limited_app, db):
    client = limited_app.test_client()
    limit = int(limits.LIMITS["auth.login"][0].split()[0])
    codes = [client.get("/auth/login").status_code for _ in range(limit)]
    assert 429 not in codes
    r = client.get("/auth/login")
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 61
    assert "Too many tries" in r.text and f"wait {wait} second" in r.text
    other = limited_app.test_client()
    assert other.get("/auth/login", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code != 429


def test_bad_callbacks_are_limited(limited_app, db):
    client = limited_app.test_client()
    codes = [client.get("/auth/callback?code=x&state=y").status_code for _ in range(25)]
    assert codes[0] == 400 and codes[-1] == 429


def test_bad_sign_in_links_are_limited(database_url, app, db):
    client = make_app(database_url, embed_secret="e" * 64).test_client()
    codes = [client.get("/auth/moodle?user=1&sig=x").status_code for _ in range(25)]
    assert codes[0] in (400, 403) and codes[-1] == 429


def test_status_polls_and_exports_are_limited_per_user_with_words(limited_app, make, db):
    company = make.company()
    course = make.course(company)
    a = make.assignment(course)
    student = make.student(course)
    sub = make.submission(a, student, status="ready")
    manager = make.manager_of(company)
    client = limited_app.test_client()
    with limited_app.app_context():
        login(client, student)
        codes = hammer(client, 121, f"/uploads/{sub.id}/status")
    assert codes[:120].count(200) == 120 and codes[120] == 429
    frag = client.get(f"/uploads/{sub.id}/status", headers={"HX-Request": "true", "HX-Target": f"submission-{sub.id}"})
    assert frag.status_code == 429 and "<html" not in frag.text and "try again" in frag.text
    assert frag.headers["Retry-After"]

    other = limited_app.test_client()
    with limited_app.app_context():
        login(other, manager)
        codes = hammer(other, 21, f"/reports/companies/{company.id}/courses.csv")
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert other.get("/reports/forecast.csv").status_code == 429       # one budget for every export


def test_upload_creation_is_limited_per_user_in_json(limited_app, make, db):
    course = make.course(make.company())
    a = make.assignment(course)
    student = make.student(course)
    client = limited_app.test_client()
    with limited_app.app_context():
        token = login(client, student)
        codes = [client.post(f"/uploads/{a.cmid}/tus", headers={"X-CSRFToken": token}).status_code
                 for _ in range(31)]
    assert 429 not in codes[:30] and codes[30] == 429
    r = client.post(f"/uploads/{a.cmid}/tus", headers={"X-CSRFToken": token})
    assert r.json["status"] == 429 and "try again" in r.json["message"] and r.headers["Retry-After"]
