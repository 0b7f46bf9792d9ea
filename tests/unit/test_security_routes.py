"""Issue 18.11, 18.12, the CSRF part of 18's tests, and issue 15.8: a GET never changes a review,
framing and caching headers per route, every real form route refuses a POST without its token,
grades are plain decimals."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.services import grading
from tests.support.login import login
from tests.support.portal import make_app

MOODLE = "https://moodle.example.org"


@pytest.fixture(scope="module")
def guarded_app(database_url, app):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    application = make_app(database_url, stream_key_id="k" * 32, stream_key_pem=pem, moodle_url=MOODLE,
                           embed_secret="embed-secret")
    application.config["WTF_CSRF_ENABLED"] = True
    return application


@pytest.fixture
def review(make):
    course = make.course(make.company())
    a = make.assignment(course)
    teacher = make.teacher(course)
    sub = make.submission(a, make.student(course), status="ready", review_state="new")
    return sub, teacher


def fresh(db, sub):
    from portal.models import Submission
    db.session.expire_all()
    return db.session.get(Submission, sub.id)


def test_a_get_does_not_start_the_review_a_post_does(guarded_app, review, db):
    sub, teacher = review
    client = guarded_app.test_client()
    with guarded_app.app_context():
        token = login(client, teacher)
        page = client.get(f"/grading/{sub.id}")
        assert page.status_code == 200
        now = fresh(db, sub)
        assert now.review_state == "new" and now.first_viewed_at is None
        assert f'data-opened-url="/grading/{sub.id}/opened"' in page.text     # the player's first play posts it
        assert client.post(f"/grading/{sub.id}/opened").status_code == 400   # no token: refused
        r = client.post(f"/grading/{sub.id}/opened", headers={"X-CSRFToken": token})
        assert r.status_code == 204
        now = fresh(db, sub)
        assert now.review_state == "in_review" and now.first_viewed_at is not None
        assert "data-opened-url" not in client.get(f"/grading/{sub.id}").text


def test_only_the_embed_may_be_framed_by_moodle_and_tokens_are_not_cached(guarded_app, review, db):
    sub, teacher = review
    client = guarded_app.test_client()
    with guarded_app.app_context():
        login(client, teacher)
        pane = client.get(f"/grading/{sub.id}")
        queue = client.get("/grading/")
    assert "/iframe" in pane.text                                  # the pane carries a playback token
    assert pane.headers["Cache-Control"] == "no-store"
    for r in (pane, queue):
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert MOODLE not in r.headers["Content-Security-Policy"].split("frame-ancestors")[1]
        assert r.headers["X-Frame-Options"] == "DENY"
    assert "no-store" not in (queue.headers.get("Cache-Control") or "")
    embed = guarded_app.test_client().get("/embed/moodle?uid=x&viewer=1&cmid=1&expires=1&sig=x")
    assert f"frame-ancestors {MOODLE}" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers


# Every real form route, with the role that may use it.
FORM_ROUTES = [
    ("teacher", "/grading/{sub}", {"version": "1", "grade": "50", "action": "save"}),
    ("teacher", "/grading/{sub}/comments", {"at_seconds": "1", "body": "hi"}),
    ("teacher", "/grading/{sub}/retry", {}),
    ("teacher", "/grading/{sub}/opened", {}),
    ("student", "/uploads/{cmid}/tus", {}),
    ("student", "/uploads/{sub}/cancel", {}),
    ("manager", "/reports/companies/{company}/budget", {"budget": "10"}),
    ("admin", "/admin/submissions/{sub}/hold", {"hold": "1", "reason": "court"}),
    ("admin", "/admin/outbox/1/retry", {}),
    ("admin", "/admin/roster/sync", {}),
    ("teacher", "/auth/logout", {}),
]


@pytest.mark.parametrize("role,path,form", FORM_ROUTES)
def test_every_real_form_route_refuses_a_post_without_its_token(guarded_app, make, db, role, path, form):
    company = make.company()
    course = make.course(company)
    a = make.assignment(course)
    student = make.student(course)
    sub = make.submission(a, student, status="ready")
    users = dict(teacher=make.teacher(course), student=student, manager=make.manager_of(company),
                 admin=make.user(is_site_admin=True))
    client = guarded_app.test_client()
    with guarded_app.app_context():
        login(client, users[role])
        r = client.post(path.format(sub=sub.id, cmid=a.cmid, company=company.id), data=form)
    assert r.status_code == 400
    assert "Reload the page and try again" in r.text


def test_every_post_route_is_in_the_csrf_table(guarded_app):
    """A new form route must join FORM_ROUTES (the webhook has its signature instead)."""
    posts = {re.sub(r"<[^>]+>", "x", r.rule) for r in guarded_app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith(("/webhooks/", "/_test"))}
    covered = {re.sub(r"\{[^}]+\}|/1/", lambda m: "x" if m.group(0)[0] == "{" else "/x/", p) for _, p, _ in FORM_ROUTES}
    assert posts <= covered, posts - covered


def test_every_id_in_a_path_uses_the_bounded_converter(guarded_app):
    loose = [r.rule for r in guarded_app.url_map.iter_rules() if "<int:" in r.rule and not r.rule.startswith("/_test")]
    assert loose == []


@pytest.mark.parametrize("typed,value", [("85", Decimal(85)), ("85.5", Decimal("85.5")), ("85,5", Decimal("85.5")),
                                         (" 100 ", Decimal(100)), ("0", Decimal(0))])
def test_grades_are_plain_decimals(typed, value):
    assert grading.parse_grade(typed, Decimal(100)) == value


@pytest.mark.parametrize("typed", ["1e2", "1E1", "+5", "-1", "NaN", "Infinity", "²", "٣", "１２", "8 5", "85.", ".5",
                                   "1,000.5", "100.01", "0x10"])
def test_other_grades_are_refused_in_words(typed):
    with pytest.raises(grading.ReviewRejected) as refused:
        grading.parse_grade(typed, Decimal(100))
    assert "grade" in str(refused.value) or "between" in str(refused.value)
