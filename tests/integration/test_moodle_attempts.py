"""Attempts and grades both ways with Moodle, as a real IOMAD 4.3.7 applies them (issue 16, defects
1, 2 and 6; ../shared/contracts/moodle/REAL-SITE.md). Against the emulator over HTTP."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from portal.models import OutboxMessage, Submission, utcnow
from portal.services import grading, moodle_grades, outbox
from portal.services.grading import ReviewRejected
from portal.services.moodle import MoodleClient, MoodleUnavailable
from portal.services.roster import apply_assignment, moodle_client

STUDENT = "student1"


@pytest.fixture
def world(live_portal, moodle_emulator, make, db):
    """Assignment 1 (cmid 101) of the demo site, student1 with a ready video, teacher1."""
    course = make.course(make.company())
    a = make.assignment(course, cmid=101, moodle_id=1, grade_max=Decimal(100), max_attempts=3,
                        reopen_method="manual")
    teacher = make.teacher(course, fullname="Tom Teacher")
    teacher.moodle_id = moodle_emulator.user("teacher1").id
    student = make.student(course, username=STUDENT)
    student.moodle_id = moodle_emulator.user(STUDENT).id
    db.session.commit()
    sub = make.submission(a, student, status="ready")
    return a, teacher, sub


def save(app, teacher, sub_id, value, action="save"):
    with app.app_context():
        from portal.extensions import db
        fresh = db.session.get(Submission, sub_id)
        grading.save_review(db.session.get(type(teacher), teacher.id), fresh, version=fresh.version,
                            grade=str(value), feedback=f"feedback {value}", action=action)


def drain(app, client=None):
    with app.app_context():
        from portal.extensions import db
        return outbox.drain(db.session, client or moodle_client())


def rows(db):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def moodle_attempt(emu, userid):
    return emu.app.site.submissions.get((1, userid), {}).get("attemptnumber", 0)


def test_roster_reads_reopen_method_and_unlimited_attempts(world, db):
    a, _, _ = world
    settings = type("S", (), {"upload_max_bytes": 1, "upload_max_minutes": 1})
    apply_assignment(a, {"cmid": 101, "maxattempts": -1, "attemptreopenmethod": "none", "grade": 100}, settings)
    assert a.reopen_method == "none"
    from portal.services import attempts
    assert attempts.allowed(a) == 1                       # "Never": one attempt, not "10 of 10"
    apply_assignment(a, {"cmid": 101, "maxattempts": -1, "attemptreopenmethod": "manual", "grade": 100}, settings)
    assert attempts.allowed(a) is None and attempts.describe(a) == "unlimited"


def test_resubmission_with_reopen_none_is_refused_with_the_reason(live_portal, world, db):
    a, teacher, sub = world
    a.reopen_method = "none"
    db.session.commit()
    with pytest.raises(ReviewRejected, match="“Never”.*“Manually”"):
        save(live_portal.app, teacher, sub.id, 40, "resubmit")
    assert rows(db) == []


def test_resubmission_opens_one_new_attempt_in_moodle_and_is_confirmed(live_portal, moodle_emulator, world, db):
    a, teacher, sub = world
    save(live_portal.app, teacher, sub.id, 40, "resubmit")
    drain(live_portal.app)
    [m] = rows(db)
    assert (m.state, m.last_error) == ("done", None)
    assert moodle_attempt(moodle_emulator, sub.student.moodle_id) == 1
    assert db.session.get(Submission, sub.id).moodle_reopened_at is not None


def test_resubmission_moodle_ignores_fails_in_words(live_portal, moodle_emulator, world, db):
    """The portal was told "manual" but Moodle now says "none": Moodle answers null and opens nothing."""
    a, teacher, sub = world
    moodle_emulator.assignment(101).attemptreopenmethod = "none"
    save(live_portal.app, teacher, sub.id, 40, "resubmit")
    drain(live_portal.app)
    [m] = rows(db)
    assert m.state == "dead" and "did not open a new attempt" in m.last_error and "Manually" in m.last_error
    assert "try again" not in m.last_error
    assert moodle_attempt(moodle_emulator, sub.student.moodle_id) == 0


class LostAnswer(MoodleClient):
    """Moodle does the write, then the answer is lost on the way back."""

    def save_grades(self, *args, **kw):
        super().save_grades(*args, **kw)
        raise MoodleUnavailable("mod_assign_save_grades: ReadTimeout")


def test_a_resubmission_whose_answer_was_lost_is_not_sent_again(live_portal, moodle_emulator, world, db):
    a, teacher, sub = world
    save(live_portal.app, teacher, sub.id, 40, "resubmit")
    drain(live_portal.app, LostAnswer(moodle_emulator.base_url, moodle_emulator.service_token))
    [m] = rows(db)
    assert m.state == "pending" and moodle_attempt(moodle_emulator, sub.student.moodle_id) == 1
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        pdb.session.get(OutboxMessage, m.id).next_attempt_at = utcnow()
        pdb.session.commit()
    drain(live_portal.app)
    [m] = rows(db)
    assert m.state == "done"
    assert moodle_attempt(moodle_emulator, sub.student.moodle_id) == 1     # not 2: read, not resent


def test_an_older_attempt_cannot_be_graded_over_the_newer_one(live_portal, moodle_emulator, world, make, db):
    a, teacher, first = world
    second = make.submission(a, first.student, status="ready", attempt=2)
    save(live_portal.app, teacher, second.id, 91, "approve")
    drain(live_portal.app)
    for action in ("save", "resubmit"):
        with pytest.raises(ReviewRejected, match="Attempt 2 is newer"):
            save(live_portal.app, teacher, first.id, 40, action)
    drain(live_portal.app)
    assert moodle_emulator.grades(1)[first.student.moodle_id]["grade"] == 91.0


def test_a_grade_queued_before_a_newer_attempt_arrived_is_not_sent(live_portal, moodle_emulator, world, make, db):
    a, teacher, first = world
    save(live_portal.app, teacher, first.id, 40)               # queued; Moodle not reached yet
    make.submission(a, first.student, status="ready", attempt=2)
    drain(live_portal.app)
    [m] = rows(db)
    assert m.state == "dead" and "Attempt 2 is newer" in m.last_error
    assert moodle_emulator.app.site.grade_log == []


def test_review_pane_says_why_resubmission_is_off_and_links_the_newer_attempt(live_portal, world, make, db):
    a, teacher, first = world
    a.reopen_method = "none"
    second = make.submission(a, first.student, status="ready", attempt=2)
    db.session.commit()
    client = live_portal.app.test_client()
    with live_portal.app.app_context():
        from tests.support.login import login
        login(client, teacher)
        page = client.get(f"/grading/{first.id}").text
    assert re.search(r'id="request-resubmission" disabled', page)
    assert "“Additional attempts” is “Never”" in page
    assert 'id="newer-attempt"' in page and f"/grading/{second.id}" in page


def grade_in_moodle(emu, value, feedback="<p>Graded in Moodle</p>"):
    """teacher1 grades student1 in the emulator's own grader, over HTTP."""
    s = requests.Session()
    s.post(f"{emu.base_url}/login/index.php", data={"username": "teacher1", "password": "demo"})
    url = f"{emu.base_url}/mod/assign/view.php?id=101&action=grader&userid={emu.user(STUDENT).id}"
    sesskey = re.search(r'name="sesskey" value="([^"]+)"', s.get(url).text).group(1)
    assert s.post(url, data={"sesskey": sesskey, "grade": str(value), "feedback": feedback},
                  allow_redirects=False).status_code == 302


def test_a_grade_given_in_moodle_reaches_the_portal(live_portal, moodle_emulator, world, db):
    a, teacher, sub = world
    grade_in_moodle(moodle_emulator, 77)
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        assert moodle_grades.read_back_all(pdb.session, moodle_client()) == 1
        assert moodle_grades.read_back_all(pdb.session, moodle_client()) == 0      # once
    db.session.expire_all()
    got = db.session.get(Submission, sub.id)
    assert (got.grade, got.review_state, got.graded_by_id) == (Decimal("77"), "approved", teacher.id)
    client = live_portal.app.test_client()
    with live_portal.app.app_context():
        from tests.support.login import login
        login(client, teacher)
        page = client.get(f"/grading/{sub.id}").text
    assert "Graded in Moodle by Tom Teacher: 77" in page


def test_opening_the_pane_reads_a_grade_given_in_moodle(live_portal, moodle_emulator, world, db):
    a, teacher, sub = world
    grade_in_moodle(moodle_emulator, 64)
    client = live_portal.app.test_client()
    with live_portal.app.app_context():
        from tests.support.login import login
        login(client, teacher)
        page = client.get(f"/grading/{sub.id}").text
    assert "Graded in Moodle by Tom Teacher: 64" in page


def test_an_older_portal_grade_is_not_sent_over_a_newer_moodle_grade(live_portal, moodle_emulator, world, db):
    a, teacher, sub = world
    save(live_portal.app, teacher, sub.id, 50)                  # saved while the worker was behind
    with live_portal.app.app_context():                       # ... a few seconds before Moodle's
        from portal.extensions import db as pdb
        before = utcnow() - timedelta(seconds=5)
        pdb.session.get(Submission, sub.id).graded_at = before
        for m in pdb.session.scalars(select(OutboxMessage)):
            m.created_at = before
        pdb.session.commit()
    grade_in_moodle(moodle_emulator, 82)
    drain(live_portal.app)
    assert moodle_emulator.grades(1)[sub.student.moodle_id]["grade"] == 82.0
    assert [g for _, _, g in moodle_emulator.app.site.grade_log] == [82.0]
    [m] = rows(db)
    assert m.state == "done" and "Tom Teacher gave a newer grade in Moodle" in m.last_error
    assert db.session.get(Submission, sub.id).grade == Decimal("82")


def claim():
    from portal.services.submissions import UploadClaim
    return UploadClaim(length=1000, filename="walk.mp4", filetype="video/mp4", duration_seconds=30.0,
                       fingerprint="f2")


class StreamDown:
    """Reached only once every rule let the upload start."""

    def create_tus_upload(self, **kw):
        from portal.services.stream import StreamError
        raise StreamError("Stream asked")


def start(app, student, a):
    """Start an upload as the service does; a refusal comes before Stream is asked."""
    from portal.models import Assignment, User
    from portal.services import submissions
    with app.test_request_context():
        from portal.extensions import db
        submissions.start_upload(db.session.get(User, student.id), db.session.get(Assignment, a.id), claim(),
                                 StreamDown())


def test_a_new_attempt_can_start_only_once_moodle_has_opened_it(live_portal, moodle_emulator, world, db):
    """Defect 1: an upload before Moodle reopened landed on the attempt already graded there."""
    from portal.services.submissions import UploadRefused
    a, teacher, sub = world
    with pytest.raises(UploadRefused, match="when your teacher asks for a resubmission"):
        start(live_portal.app, sub.student, a)
    save(live_portal.app, teacher, sub.id, 40, "resubmit")
    drain(live_portal.app)
    from portal.services.stream import StreamError
    with pytest.raises(StreamError, match="Stream asked"):     # past every rule: Moodle opened attempt 2
        start(live_portal.app, sub.student, a)


@pytest.mark.parametrize("value, reopened", [(30, True), (70, False)])
def test_untilpass_moodle_reopens_below_the_pass_grade_and_the_portal_knows(live_portal, moodle_emulator, world,
                                                                           db, value, reopened):
    a, teacher, sub = world
    a.reopen_method = "untilpass"
    db.session.commit()
    emu = moodle_emulator.assignment(101)
    emu.attemptreopenmethod, emu.gradepass = "untilpass", 50
    save(live_portal.app, teacher, sub.id, value, "approve")
    drain(live_portal.app)
    [m] = rows(db)
    assert m.state == "done"
    assert moodle_attempt(moodle_emulator, sub.student.moodle_id) == (1 if reopened else 0)
    assert (db.session.get(Submission, sub.id).moodle_reopened_at is not None) == reopened
