"""Issue 18.4: sessions live on the server. Sign-out ends them for every copy of the cookie; an
idle timeout and an absolute lifetime end them, with a controlled clock; requests push the idle
limit on but never the absolute one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal import sessions
from portal.models import WebSession
from tests.support.login import login
from tests.support.portal import make_app

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def session_app(database_url, app):
    application = make_app(database_url, session_idle_minutes=30, session_max_hours=8)
    application.config["WTF_CSRF_ENABLED"] = True
    return application


@pytest.fixture
def clock(monkeypatch):
    now = [T0]
    monkeypatch.setattr(sessions, "_clock", lambda: now[0])
    return now


@pytest.fixture
def teacher(make):
    return make.teacher(make.course(make.company()))


def signed_in(client) -> bool:
    r = client.get("/grading/")
    return r.status_code == 200


def sign_in(session_app, client, user, clock):
    with session_app.app_context():
        token = login(client, user)
    with client.session_transaction() as s:
        s[sessions.SIGNED_IN_AT] = clock[0].timestamp()
    return token


def test_sign_out_ends_the_session_for_a_copied_cookie(session_app, teacher, clock, db):
    client = session_app.test_client()
    token = sign_in(session_app, client, teacher, clock)
    assert signed_in(client)
    copied = client.get_cookie("session").value
    assert len(copied) >= 40 and "." not in copied            # a random id, not signed data

    r = client.post("/auth/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert "You are signed out" in client.get(r.headers["Location"]).text
    assert not signed_in(client)

    thief = session_app.test_client()
    thief.set_cookie("session", copied)
    assert not signed_in(thief)
    assert db.session.get(WebSession, copied) is None


def test_idle_timeout_and_requests_push_it_on(session_app, teacher, clock):
    client = session_app.test_client()
    sign_in(session_app, client, teacher, clock)
    for _ in range(4):                     # a request every 25 minutes keeps the session
        clock[0] += timedelta(minutes=25)
        assert signed_in(client)
    clock[0] += timedelta(minutes=31)      # then 31 idle minutes end it
    assert not signed_in(client)


def test_absolute_lifetime_is_not_extended_by_requests(session_app, teacher, clock):
    client = session_app.test_client()
    sign_in(session_app, client, teacher, clock)
    while clock[0] < T0 + timedelta(hours=7, minutes=50):
        clock[0] += timedelta(minutes=10)
        assert signed_in(client), clock[0]
    clock[0] = T0 + timedelta(hours=8, minutes=1)
    assert not signed_in(client)


def test_expired_rows_are_deleted(session_app, teacher, clock, db):
    client = session_app.test_client()
    sign_in(session_app, client, teacher, clock)
    assert db.session.query(WebSession).count() == 1
    clock[0] += timedelta(hours=1)
    sessions.delete_expired(session_app)
    assert db.session.query(WebSession).count() == 0
