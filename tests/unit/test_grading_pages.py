"""What a teacher reads and keeps in the queue and the review pane: limits refused in words (never
cut), names isolated, states in words, the queue told when opening a review changes a row."""
from __future__ import annotations

from decimal import Decimal

import pytest

from portal.models import Comment, OutboxMessage, Submission
from portal.services.sync import feedback_html
from tests.support.login import login

RLO = "\u202e"


@pytest.fixture
def world(make):
    course = make.course(make.company(), fullname="Field Geology")
    teacher = make.teacher(course)
    a = make.assignment(course, grade_max=Decimal(10), name="River walk")
    student = make.student(course, fullname=f"Eve {RLO}gnp.exe")
    return dict(teacher=teacher, sub=make.submission(a, student, status="ready"))


def hx(token, target):
    return {"HX-Request": "true", "HX-Target": target, "X-CSRFToken": token}


def test_feedback_longer_than_kept_is_refused_in_words_and_kept_in_the_form(client, world, db):
    sub = world["sub"]
    token = login(client, world["teacher"])
    long = "x" * 20001
    r = client.post(f"/grading/{sub.id}", data={"version": sub.version, "grade": "7", "feedback": long,
                                                 "action": "save"}, headers=hx(token, "review"))
    assert r.status_code == 422 and "at most 20,000" in r.text and long in r.text
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).feedback == "" and db.session.query(OutboxMessage).count() == 0
    ok = client.post(f"/grading/{sub.id}", data={"version": sub.version, "grade": "7", "feedback": "y" * 20000,
                                                  "action": "save"}, headers=hx(token, "review"))
    assert ok.status_code == 200
    db.session.expire_all()
    assert len(db.session.get(Submission, sub.id).feedback) == 20000


def test_comment_longer_than_kept_is_refused_not_cut(client, world, db):
    sub = world["sub"]
    token = login(client, world["teacher"])
    r = client.post(f"/grading/{sub.id}/comments", data={"at_seconds": "1", "body": "z" * 4001},
                    headers=hx(token, "comments"))
    assert r.status_code == 422 and "at most 4,000" in r.text
    assert db.session.query(Comment).count() == 0


def test_text_inputs_say_their_limit_and_show_a_count(client, world):
    login(client, world["teacher"])
    page = client.get(f"/grading/{world['sub'].id}").text
    assert 'id="feedback"' in page and 'maxlength="20000"' in page and 'id="feedback-count"' in page
    assert 'maxlength="4000"' in page and 'id="comment-count"' in page


def test_user_names_are_isolated_and_moodle_feedback_has_no_bidi_controls(client, world, db):
    sub = world["sub"]
    login(client, world["teacher"])
    page = client.get(f"/grading/{sub.id}").text
    assert f"<bdi>Eve {RLO}gnp.exe</bdi>" in page
    queue = client.get("/grading/").text
    assert f"<bdi>Eve {RLO}gnp.exe</bdi>" in queue
    sub.feedback = f"Well done {RLO}evil"
    db.session.add(Comment(submission=sub, at_seconds=3, body=f"see {RLO}here\u2066x\u2069"))
    db.session.commit()
    text = feedback_html(sub, "https://portal.example")
    assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Well done evil" in text and "see herex" in text


def test_opening_a_new_submission_tells_the_queue_and_states_are_in_words(client, world, db):
    sub = world["sub"]
    token = login(client, world["teacher"])
    first = client.get(f"/grading/{sub.id}", headers=hx(token, "review"))
    assert "HX-Trigger" not in first.headers and "data-opened-url" in first.text   # a GET changes nothing (18.11)
    played = client.post(f"/grading/{sub.id}/opened", headers=hx(token, "review"))   # the first play
    assert played.headers.get("HX-Trigger") == "grading-changed"     # the row leaves "new"
    assert "Being reviewed" in client.get(f"/grading/{sub.id}", headers=hx(token, "review")).text
    rows = client.get("/grading/").text.split('<tbody id="queue-rows">')[1].split("</tbody>")[0]
    assert "Being reviewed" in rows and "in review" not in rows


def test_standalone_review_page_has_one_h1_and_every_page_a_skip_link(client, world):
    login(client, world["teacher"])
    page = client.get(f"/grading/{world['sub'].id}").text
    assert page.count("<h1") == 1
    assert 'class="skip-link" href="#main"' in page
    frag = client.get(f"/grading/{world['sub'].id}", headers={"HX-Request": "true", "HX-Target": "review"}).text
    assert "<h1" not in frag


def test_names_in_reports_and_admin_pages_are_isolated(client, make, db):
    from portal.audit import record
    company = make.company(f"Acme {RLO}oc")
    course = make.course(company)
    a = make.assignment(course)
    student = make.student(course, fullname=f"Mallory {RLO}fdp.exe")
    make.submission(a, student, status="ready")
    manager = make.manager_of(company)
    record("report.viewed", make.user(f"u{RLO}x", is_site_admin=True), object_type="company",
           object_id=company.id, company_id=company.id)
    db.session.commit()
    login(client, manager)
    assert f"<bdi>Acme {RLO}oc</bdi>" in client.get("/reports/").text
    drill = client.get(f"/reports/companies/{company.id}/assignments/{a.id}").text
    assert f"<bdi>Mallory {RLO}fdp.exe</bdi>" in drill
    assert f"<bdi>u{RLO}x</bdi>" in client.get(f"/reports/companies/{company.id}/audit").text
