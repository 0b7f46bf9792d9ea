"""The shell every page shares: error pages (page and htmx fragment), CSRF, headers, health."""
from __future__ import annotations

import re

import pytest
from flask import abort
from flask_login import login_user

from tests.support.portal import make_app


@pytest.fixture(scope="module")
def shell_app(database_url, app):   # `app` has migrated the database already
    application = make_app(database_url, testing=True)
    application.config["WTF_CSRF_ENABLED"] = True

    @application.get("/_test/abort/<int:code>")
    def _abort(code):
        abort(code)

    @application.get("/_test/boom")
    def _boom():
        raise RuntimeError("kaboom with secret-value")

    @application.post("/_test/form")
    def _form():
        return "posted"

    @application.get("/_test/login/<int:user_id>")
    def _login(user_id):
        from portal.extensions import db
        from portal.models import User
        login_user(db.session.get(User, user_id))
        return "ok"
    return application


@pytest.fixture
def shell(shell_app, db):
    return shell_app.test_client()


@pytest.mark.parametrize("code,title", [(400, "could not be understood"), (403, "do not have access"),
                                        (404, "Not found"), (413, "Too large"),
                                        (429, "Too many requests"), (500, "went wrong")])
def test_error_pages_full_and_fragment(shell, code, title):
    page = shell.get(f"/_test/abort/{code}")
    assert page.status_code == code
    assert "<html" in page.text and title in page.text and 'id="messages"' in page.text

    frag = shell.get(f"/_test/abort/{code}", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    assert frag.status_code == code
    assert "<html" not in frag.text and title in frag.text
    assert frag.headers["HX-Retarget"] == "#messages"


def test_unexpected_exception_is_a_500_page_without_details(shell):
    r = shell.get("/_test/boom")
    assert r.status_code == 500 and "secret-value" not in r.text and "kaboom" not in r.text


def test_json_clients_get_json_errors(shell):
    r = shell.get("/_test/abort/404", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json["status"] == 404


def test_csrf_is_required_on_forms_and_htmx(shell, make):
    user = make.user()
    shell.get(f"/_test/login/{user.id}")
    r = shell.post("/_test/form", data={"x": "1"})
    assert r.status_code == 400 and "Reload the page" in r.text
    page = shell.get("/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    assert shell.post("/_test/form", headers={"X-CSRFToken": token, "HX-Request": "true"}).text == "posted"
    assert shell.post("/_test/form", data={"csrf_token": token}).text == "posted"


def test_security_headers(shell):
    r = shell.get("/signin")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-src http://127.0.0.1:9" in csp        # the Stream player's domain only
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_flags(database_url, app):
    secure = make_app(database_url, base_url="https://portal.example.org")
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert secure.config["SESSION_COOKIE_HTTPONLY"] is True
    assert secure.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_anonymous_user_is_sent_to_sign_in_keeping_the_target(client):
    r = client.get("/")
    assert r.status_code == 302 and "/signin?next=" in r.headers["Location"]
    page = client.get("/signin?next=/a/12")
    assert "Sign in with Moodle" in page.text and "/auth/login?next=/a/12" in page.text


def test_signin_ignores_foreign_next(client):
    page = client.get("/signin?next=https://evil.example/x")
    assert "evil.example" not in page.text


def test_navigation_follows_roles(client, make, app):
    course = make.course(make.company())
    student = make.student(course)
    with client.session_transaction() as s:
        s["_user_id"] = str(student.id)
        s["_fresh"] = True
    page = client.get("/")
    assert "My assignments" in page.text and "Grading queue" not in page.text


def test_healthz_reports_database_and_migrations(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["status"] == "ok"
    assert r.json["checks"]["database"] == "ok" and r.json["checks"]["migrations"] == "current"


def test_healthz_fails_when_database_unreachable(tmp_path):
    broken = make_app("postgresql://nobody@127.0.0.1:1/none")
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503 and r.json["checks"]["database"] == "unreachable"


def test_healthz_fails_while_the_database_is_behind_the_migrations(tmp_path):
    """The scripts' heads are read once per app; the database's revision on every check."""
    from flask_migrate import downgrade, upgrade
    behind = make_app(f"sqlite:///{tmp_path / 'behind.db'}")
    client = behind.test_client()
    with behind.app_context():
        upgrade()
        assert client.get("/healthz").status_code == 200
        downgrade(revision="-1")
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json["checks"]["migrations"] == "behind"
        upgrade()
        assert client.get("/healthz").json["checks"]["migrations"] == "current"
