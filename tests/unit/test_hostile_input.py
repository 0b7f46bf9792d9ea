"""Issue 18.8: the hostile-input table over every route and every role answers 400/404/4xx,
never 500 (bench/hostile_input.py replays the whole table against a real server)."""
from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter

import pytest

from portal.models import OutboxMessage
from tests.support.hostile import BIG_IDS, NAMES, Probe, probes, webhook_bodies
from tests.support.login import login
from tests.support.portal import make_app

SECRET = "hostile-webhook-secret"
NASTY = ("99999999999999999999", "²")


@pytest.fixture(scope="module")
def hostile_app(database_url, app):
    return make_app(database_url, stream_webhook_secret=SECRET, embed_secret="embed-secret")


@pytest.fixture
def world(make, db):
    company = make.company()
    course = make.course(company)
    a = make.assignment(course, max_attempts=3)
    student = make.student(course)
    teacher = make.teacher(course)
    manager = make.manager_of(company)
    admin = make.user(is_site_admin=True)
    sub = make.submission(a, student)
    msg = OutboxMessage(kind="grade", payload={}, idempotency_key="k1", submission_id=sub.id, state="dead")
    db.session.add(msg)
    db.session.commit()
    valid = dict(cmid=str(a.cmid), submission_id=str(sub.id), company_id=str(company.id),
                 course_id=str(course.id), assignment_id=str(a.id), message_id=str(msg.id))
    return dict(valid=valid, roles=dict(student=student, teacher=teacher, manager=manager, admin=admin))


def _reduced(app, valid, each_name: bool):
    """Every route with hostile ids; (the admin, who reaches every route) every name with the
    nastiest values; every value in every name at once. The bench sends the full product."""
    for p in probes(app, valid):
        if not p.query and not p.form and not p.headers:
            yield p                                    # hostile path ids
        elif p.headers:
            yield p                                    # tus metadata
        elif each_name:
            (name, value), = [(k, v) for k, v in (p.query or p.form).items() if k != "version"] or [("", "")]
            if value in NASTY:
                yield p
    seen = set()
    for p in probes(app, valid):
        if p.path in seen or p.headers:
            continue
        seen.add(p.path)
        for value in ("99999999999999999999", "-1", "²", "1e2", "nan", "\u202eevil", "x" * 5000, "１２"):
            every = {n: value for n in NAMES}
            yield Probe(p.method, p.path, query=every if p.method == "GET" else {},
                        form=None if p.method == "GET" else every)


def send(client, p: Probe):
    return client.open(p.path, method=p.method, query_string=p.query, data=p.form, headers=p.headers)


@pytest.mark.parametrize("role", ["student", "teacher", "manager", "admin"])
def test_no_hostile_input_gets_a_500(hostile_app, world, role, db):
    client = hostile_app.test_client()
    failures, statuses = [], Counter()
    with hostile_app.app_context():       # one context: the requests share it and its session
        login(client, world["roles"][role])
        for p in _reduced(hostile_app, world["valid"], each_name=role == "admin"):
            r = send(client, p)
            statuses[r.status_code] += 1
            if r.status_code >= 500:
                failures.append(f"{r.status_code} {p.describe()[:160]}")
            db.session.rollback()
    assert not failures, f"{len(failures)} × 5xx of {sum(statuses.values())}:\n" + "\n".join(failures[:60])


def test_big_ids_are_not_found(hostile_app, world):
    client = hostile_app.test_client()
    with hostile_app.app_context():
        login(client, world["roles"]["admin"])
    for path in ("/grading/99999999999", "/uploads/99999999999/status", "/a/99999999999",
                 "/reports/companies/99999999999", "/grading/²", "/a/9223372036854775808"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Not found" in r.text


def _sign(body: bytes) -> str:
    stamp = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"time={stamp},sig1={sig}"


def test_odd_but_signed_webhook_bodies_are_refused_in_words(hostile_app, db):
    client = hostile_app.test_client()
    for body in webhook_bodies():
        r = client.post("/webhooks/stream", data=body,
                        headers={"Webhook-Signature": _sign(body), "Content-Type": "application/json"})
        assert r.status_code < 500, body[:80]
        if r.status_code == 400:
            assert r.json["message"]
