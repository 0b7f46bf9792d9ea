"""Each person lands on their work: a student on their assignments with the state of each and the
next step; a teacher on the queue, a manager on the reports, an admin on operations."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from portal.models import utcnow
from tests.support.login import login


def _lines(html: str) -> dict[str, str]:
    """assignment cmid -> the text of its line on the home page."""
    found = re.findall(r'<li class="card assignment-line" data-state="([a-z_]+)" data-cmid="(\d+)">(.*?)</li>',
                       html, re.S)
    return {cmid: (state, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
            for state, cmid, body in found}


def test_student_home_shows_each_assignment_state_and_next_step(client, make, db):
    course = make.course(make.company(), fullname="Field Geology")
    me = make.student(course)
    other = make.student(course)
    past = utcnow() - timedelta(days=1)
    a_none = make.assignment(course, cmid=501)
    a_upl = make.assignment(course, cmid=502)
    a_proc = make.assignment(course, cmid=503)
    a_ready = make.assignment(course, cmid=504)
    a_graded = make.assignment(course, cmid=505, grade_max=Decimal(100))
    a_resub = make.assignment(course, cmid=506, max_attempts=2)
    a_late = make.assignment(course, cmid=507, due_at=past)
    a_overdue = make.assignment(course, cmid=508, due_at=past)
    make.submission(a_upl, me, status="uploading")
    make.submission(a_proc, me, status="processing")
    ready = make.submission(a_ready, me, status="ready")
    graded = make.submission(a_graded, me, status="ready", review_state="approved", grade=Decimal("88.5"))
    make.submission(a_resub, me, status="ready", review_state="resubmit", grade=Decimal(40))
    make.submission(a_late, me, status="ready", uploaded_at=past + timedelta(hours=2))
    make.submission(a_none, other, status="ready", review_state="approved", grade=Decimal(99))  # not mine

    login(client, me)
    page = client.get("/")
    assert page.status_code == 200
    lines = _lines(page.text)
    assert lines["501"][0] == "not_submitted" and "Not submitted yet" in lines["501"][1]
    assert "Upload your video" in lines["501"][1] and "99" not in lines["501"][1]
    assert lines["502"][0] == "uploading" and "Resume the upload" in lines["502"][1]
    assert lines["503"][0] == "processing" and "preparing" in lines["503"][1]
    assert lines["504"][0] == "ready" and "waiting for your teacher" in lines["504"][1]
    assert lines["505"][0] == "graded" and "Graded 88.5 / 100" in lines["505"][1]
    assert lines["506"][0] == "resubmit" and "Upload a new video" in lines["506"][1]
    assert "handed in late" in lines["507"][1] and "handed in late" not in lines["504"][1]
    assert lines["508"][0] == "not_submitted" and "overdue" in lines["508"][1]
    # the next step leads where it says
    assert f'href="/uploads/{graded.id}/watch"' in page.text and f'href="/uploads/{ready.id}/watch"' in page.text
    assert 'href="/a/502"' in page.text
    assert "Welcome" not in page.text


def test_no_attempt_left_offers_no_upload(client, make, db):
    course = make.course()
    me = make.student(course)
    a = make.assignment(course, cmid=601, max_attempts=1)
    make.submission(a, me, status="ready", review_state="resubmit")
    login(client, me)
    state, text = _lines(client.get("/").text)["601"]
    assert state == "resubmit" and "Upload a new video" not in text


def test_teacher_manager_and_admin_land_on_their_work(client, make, db):
    company = make.company()
    course = make.course(company)
    teacher = make.teacher(course)
    manager = make.manager_of(company)
    make.enrol(manager, course, "editingteacher")     # IOMAD's companycourseeditor may grade: still a manager
    admin = make.user(is_site_admin=True)
    for user, where in ((teacher, "/grading/"), (manager, "/reports/"), (admin, "/admin/")):
        with client.session_transaction() as s:
            s["_user_id"] = str(user.id)
            s["_fresh"] = True
        from flask import g
        g.pop("_login_user", None)
        g.pop("_role_flags", None)
        r = client.get("/")
        assert r.status_code == 302 and r.headers["Location"].endswith(where), (user.username, r.headers)
        page = client.get(where)
        assert page.status_code == 200 and "My assignments" not in page.text


def test_a_person_with_no_role_is_told_what_to_do(client, make, db):
    login(client, make.user())
    page = client.get("/")
    assert page.status_code == 200 and "ask your teacher to check your enrolment" in page.text
