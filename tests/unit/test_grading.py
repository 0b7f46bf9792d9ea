"""The grading queue and review through the portal's own HTTP interface (no Moodle needed:
saving never waits on it)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from portal.models import AuditEntry, OutboxMessage, Submission
from portal.services.grading import QueueFilters, BadFilter
from tests.support.login import login


@pytest.fixture
def course_world(make):
    company = make.company()
    course = make.course(company, fullname="Field Geology")
    other = make.course(company, fullname="Other course")
    teacher = make.teacher(course)
    a = make.assignment(course, grade_max=Decimal(10), name="River walk")
    subs = [make.submission(a, make.student(course, fullname=f"Student {i}"), status="ready")
            for i in range(3)]
    foreign = make.submission(make.assignment(other), status="ready")
    return dict(course=course, teacher=teacher, assignment=a, subs=subs, foreign=foreign,
                stranger=make.teacher(other))


def hx(token, target):
    return {"HX-Request": "true", "HX-Target": target, "X-CSRFToken": token}


def test_queue_page_and_fragment_from_one_template(client, course_world):
    token = login(client, course_world["teacher"])
    page = client.get("/grading/")
    assert page.status_code == 200 and "<html" in page.text
    assert all(f"Student {i}" in page.text for i in range(3))
    assert str(course_world["foreign"].id) not in [r for r in page.text.split('data-id="')[1:]]
    frag = client.get("/grading/?review=new", headers=hx(token, "queue"))
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="queue"' in frag.text
    assert "Vary" in frag.headers and "HX-Target" in frag.headers["Vary"]


def test_queue_scoped_to_courses_taught(client, course_world):
    login(client, course_world["stranger"])
    page = client.get("/grading/")
    assert page.status_code == 200
    assert "Student 0" not in page.text and "River walk" not in page.text


def test_bad_filters_are_400_in_words(client, course_world):
    login(client, course_world["teacher"])
    r = client.get("/grading/?sort=sideways")
    assert r.status_code == 400 and "Unknown sort" in r.text
    with pytest.raises(BadFilter):
        QueueFilters.from_args({"page": "two"})


def test_students_may_not_open_the_queue(client, course_world, make):
    login(client, course_world["subs"][0].student)
    assert client.get("/grading/").status_code == 403


def test_save_grade_commits_locally_and_queues_moodle(client, course_world, db):
    sub = course_world["subs"][0]
    token = login(client, course_world["teacher"])
    r = client.post(f"/grading/{sub.id}", data={"version": sub.version, "grade": "8.5",
                                                 "feedback": "Clear narration.", "action": "approve"},
                    headers=hx(token, "review"))
    assert r.status_code == 200 and "Saved" in r.text
    db.session.expire_all()
    saved = db.session.get(Submission, sub.id)
    assert saved.grade == Decimal("8.5") and saved.review_state == "approved"
    rows = db.session.query(OutboxMessage).all()
    assert [(m.kind, m.payload["grade"], m.payload["userid"]) for m in rows] == \
        [("grade", 8.5, sub.student.moodle_id)]
    assert db.session.query(AuditEntry).filter_by(action="review.approve").count() == 1


@pytest.mark.parametrize("grade,words", [("11", "between 0 and 10"), ("-1", "between 0 and 10"),
                                         ("abc", "not a number"), ("1.234", "two decimals")])
def test_invalid_grades_are_refused_and_nothing_queued(client, course_world, db, grade, words):
    sub = course_world["subs"][0]
    token = login(client, course_world["teacher"])
    r = client.post(f"/grading/{sub.id}", data={"version": sub.version, "grade": grade, "action": "save"},
                    headers=hx(token, "review"))
    assert r.status_code == 422 and words in r.text
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).grade is None
    assert db.session.query(OutboxMessage).count() == 0


def test_second_teacher_is_told_and_nothing_overwritten(client, course_world, db, make):
    sub = course_world["subs"][1]
    second = make.teacher(course_world["course"])
    version = sub.version
    token = login(client, course_world["teacher"])
    assert client.post(f"/grading/{sub.id}", data={"version": version, "grade": "7", "action": "save"},
                       headers=hx(token, "review")).status_code == 200
    token = login(client, second)
    r = client.post(f"/grading/{sub.id}", data={"version": version, "grade": "3", "action": "save"},
                    headers=hx(token, "review"))
    assert r.status_code == 409 and "Another teacher saved" in r.text and 'value="7"' in r.text
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).grade == Decimal(7)


def test_newer_save_supersedes_the_unsent_one(client, course_world, db):
    sub = course_world["subs"][2]
    token = login(client, course_world["teacher"])
    for grade in ("4", "6"):
        db.session.expire_all()
        version = db.session.get(Submission, sub.id).version
        client.post(f"/grading/{sub.id}", data={"version": version, "grade": grade, "action": "save"},
                    headers=hx(token, "review"))
    pending = db.session.query(OutboxMessage).filter_by(state="pending").all()
    assert [m.payload["grade"] for m in pending] == [6.0]


def test_time_coded_comment_goes_into_moodle_feedback_as_a_link(client, course_world, db):
    sub = course_world["subs"][0]
    token = login(client, course_world["teacher"])
    r = client.post(f"/grading/{sub.id}/comments", data={"at_seconds": "75.2", "body": "Good framing"},
                    headers=hx(token, "comments"))
    assert r.status_code == 200 and "1:15" in r.text and "Good framing" in r.text
    db.session.expire_all()
    client.post(f"/grading/{sub.id}", data={"version": db.session.get(Submission, sub.id).version,
                                            "grade": "9", "action": "save"}, headers=hx(token, "review"))
    feedback = db.session.query(OutboxMessage).filter_by(state="pending").one().payload["feedback_html"]
    assert f"/grading/{sub.id}?t=75" in feedback and "1:15" in feedback and "Good framing" in feedback


@pytest.mark.parametrize("path", ["/grading/{id}", "/grading/{id}/comments"])
def test_teacher_of_another_course_gets_404_and_nothing_changes(client, course_world, db, path):
    sub = course_world["subs"][0]
    token = login(client, course_world["stranger"])
    if path.endswith("comments"):
        r = client.post(path.format(id=sub.id), data={"body": "x"}, headers=hx(token, "comments"))
    else:
        assert client.get(path.format(id=sub.id)).status_code == 404
        r = client.post(path.format(id=sub.id), data={"version": 1, "grade": "1", "action": "save"},
                        headers=hx(token, "review"))
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).grade is None and not db.session.get(Submission, sub.id).comments
    assert db.session.query(OutboxMessage).count() == 0


def test_manager_sees_but_may_not_grade(client, course_world, make, db):
    sub = course_world["subs"][0]
    manager = make.manager_of(course_world["course"].company)
    token = login(client, manager)
    r = client.post(f"/grading/{sub.id}", data={"version": 1, "grade": "1", "action": "save"},
                    headers=hx(token, "review"))
    assert r.status_code == 403


def _dead_grades(db, sub, n):
    """n saved versions of one grade that Moodle refused, oldest first."""
    from portal.models import OutboxState
    rows = [OutboxMessage(kind="grade", idempotency_key=f"grade:{sub.id}:dead{i}", submission_id=sub.id,
                          payload={"assignmentid": 1, "userid": sub.student.moodle_id, "grade": float(i)},
                          state=OutboxState.DEAD.value, attempts=8, last_error="Moodle refused it: test")
            for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_failed_sync_is_shown_and_retry_requeues_only_the_newest_grade(client, course_world, db):
    sub = course_world["subs"][0]
    older, newest = _dead_grades(db, sub, 2)
    token = login(client, course_world["teacher"])
    queue = client.get("/grading/", headers=hx(token, "queue"))
    assert f'data-retry="{sub.id}"' in queue.text and 'data-sync="failed"' in queue.text
    pane = client.get(f"/grading/{sub.id}", headers=hx(token, "review"))
    assert 'id="retry-sync"' in pane.text and "Moodle refused it: test" in pane.text
    r = client.post(f"/grading/{sub.id}/retry", headers=hx(token, "review"))
    assert r.status_code == 200 and 'id="retried"' in r.text and r.headers["HX-Trigger"] == "grading-changed"
    db.session.expire_all()
    # An older grade sent after the newest would overwrite it in Moodle: it stays dead.
    assert (db.session.get(OutboxMessage, older.id).state, db.session.get(OutboxMessage, newest.id).state) == \
        ("dead", "pending")
    assert db.session.get(OutboxMessage, newest.id).attempts == 0


def test_retry_by_a_teacher_of_another_course_is_404(client, course_world, db):
    sub = course_world["subs"][0]
    (row,) = _dead_grades(db, sub, 1)
    token = login(client, course_world["stranger"])
    assert client.post(f"/grading/{sub.id}/retry", headers=hx(token, "review")).status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).state == "dead"


def test_student_following_the_feedback_link_lands_on_their_video(client, course_world):
    sub = course_world["subs"][0]
    login(client, sub.student)
    r = client.get(f"/grading/{sub.id}?t=61")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/uploads/{sub.id}/watch?t=61")
    login(client, course_world["subs"][1].student)             # another student's link: refused
    assert client.get(f"/grading/{sub.id}?t=61").status_code in (403, 404)
