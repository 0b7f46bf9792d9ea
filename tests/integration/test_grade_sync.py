"""Grades saved in the portal reach Moodle through the outbox: never lost, never twice."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import OutboxMessage, Submission, utcnow
from portal.services import outbox
from portal.services.grading import save_review
from portal.services.roster import moodle_client


@pytest.fixture
def graded_world(live_portal, moodle_emulator, make, db):
    """Portal rows that mirror the Moodle demo site: assignment 1 (cmid 101), its students."""
    course = make.course(make.company())
    a = make.assignment(course, cmid=101, moodle_id=1, grade_max=Decimal(100))
    teacher = make.teacher(course)
    students = []
    for username in ("student1", "student2", "student3", "student4"):
        u = make.student(course, username=username)
        u.moodle_id = moodle_emulator.user(username).id
        students.append(u)
    db.session.commit()
    subs = [make.submission(a, s, status="ready") for s in students]
    return a, teacher, subs


def grade(app, teacher, sub, value, action="save"):
    with app.app_context():
        from portal.extensions import db
        fresh = db.session.get(Submission, sub.id)
        save_review(db.session.get(type(teacher), teacher.id), fresh, version=fresh.version, grade=str(value),
                    feedback=f"feedback {value}", action=action)


def drain(app):
    with app.app_context():
        from portal.extensions import db
        return outbox.drain(db.session, moodle_client())


def test_saved_grade_arrives_in_moodle_with_feedback(live_portal, moodle_emulator, graded_world):
    a, teacher, subs = graded_world
    grade(live_portal.app, teacher, subs[0], "87.5", "approve")
    assert drain(live_portal.app) == 1
    got = moodle_emulator.grades(1)[subs[0].student.moodle_id]
    assert got["grade"] == 87.5 and "feedback 87.5" in got["feedback"]


def test_moodle_down_during_many_saves_then_back_every_grade_once(live_portal, moodle_emulator, graded_world, db):
    a, teacher, subs = graded_world
    moodle_emulator.fail_next(10_000, 503)
    for i in range(100):                                   # 100 saves while Moodle is down
        grade(live_portal.app, teacher, subs[i % 4], str(i))
    drain(live_portal.app)
    assert moodle_emulator.app.site.grade_log == []
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending")).all()
    assert len(pending) == 4 and all(m.attempts == 1 and m.last_error for m in pending)   # superseded ones dropped
    moodle_emulator.fail_next(0)
    with live_portal.app.app_context():                   # Moodle is back: due now, not in minutes
        from portal.extensions import db as pdb
        for m in pdb.session.scalars(select(OutboxMessage)):
            m.next_attempt_at = utcnow()
        pdb.session.commit()
    drain(live_portal.app)
    log = moodle_emulator.app.site.grade_log
    assert Counter((uid) for _, uid, _ in log) == Counter({s.student.moodle_id: 1 for s in subs})
    assert {uid: g for _, uid, g in log} == {subs[i].student.moodle_id: float(96 + i) for i in range(4)}


def _expire_leases(app):
    """Time passes: every lease a dead worker held has run out (its lock stays, so the row is in doubt)."""
    with app.app_context():
        from portal.extensions import db as pdb
        for m in pdb.session.scalars(select(OutboxMessage).where(OutboxMessage.locked_until.is_not(None))):
            m.locked_until = utcnow() - timedelta(seconds=1)
        pdb.session.commit()


def test_worker_killed_before_sending_rows_are_picked_up_again(live_portal, moodle_emulator, graded_world):
    a, teacher, subs = graded_world
    grade(live_portal.app, teacher, subs[0], "50")
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        claimed = outbox.claim(pdb.session, "doomed-worker")      # claims, then dies before any call
        assert [m.payload["userid"] for m in claimed.messages] == [subs[0].student.moodle_id]
        assert claimed.in_doubt == set()                          # nobody had it before
        assert outbox.claim(pdb.session, "other").messages == []  # leased: nobody else takes it yet
        later = utcnow() + outbox.LEASE + timedelta(seconds=1)
        again = outbox.claim(pdb.session, "other", now=later)
        assert [m.id for m in again.messages] == [claimed.messages[0].id]
        assert again.in_doubt == {claimed.messages[0].id}         # the first worker never said how it went
    _expire_leases(live_portal.app)
    drain(live_portal.app)
    assert [(uid, g) for _, uid, g in moodle_emulator.app.site.grade_log] == [(subs[0].student.moodle_id, 50.0)]


def test_worker_killed_after_sending_does_not_send_twice(live_portal, moodle_emulator, graded_world, db):
    a, teacher, subs = graded_world
    grade(live_portal.app, teacher, subs[0], "64")
    grade(live_portal.app, teacher, subs[1], "32")
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        from portal.services import sync
        claimed = outbox.claim(pdb.session, "doomed-worker")
        first = next(m for m in claimed.messages if m.payload["userid"] == subs[0].student.moodle_id)
        # Moodle got the first grade, then the worker died before it could write that down.
        moodle_client().save_grades(first.payload["assignmentid"], [sync._update(first)])
        pdb.session.rollback()
    _expire_leases(live_portal.app)
    drain(live_portal.app)
    log = Counter(uid for _, uid, _ in moodle_emulator.app.site.grade_log)
    assert log == Counter({subs[0].student.moodle_id: 1, subs[1].student.moodle_id: 1})
    assert {m.state for m in db.session.scalars(select(OutboxMessage))} == {"done"}


def test_grade_moodle_silently_drops_is_a_failure_in_words(live_portal, moodle_emulator, graded_world, db):
    a, teacher, subs = graded_world
    moodle_emulator.app.site.assignments[1].grade = 20        # Moodle's maximum is lower than the portal's
    grade(live_portal.app, teacher, subs[0], "50")
    drain(live_portal.app)
    m = db.session.scalars(select(OutboxMessage)).one()
    db.session.refresh(m)
    assert m.state == "dead" and "did not keep the grade 50" in m.last_error and "maximum grade" in m.last_error
    assert moodle_emulator.grades(1).get(subs[0].student.moodle_id, {}).get("grade") is None


def test_rejected_call_is_dead_with_the_reason_in_words(live_portal, moodle_emulator, graded_world, db):
    a, teacher, subs = graded_world
    grade(live_portal.app, teacher, subs[0], "10")
    moodle_emulator.app.site.tokens.pop(moodle_emulator.service_token)      # revoked
    drain(live_portal.app)
    m = db.session.scalars(select(OutboxMessage)).one()
    db.session.refresh(m)
    assert m.state == "dead" and "invalidtoken" in m.last_error and "Invalid token" in m.last_error


def test_two_workers_at_once_send_each_grade_once(live_portal, moodle_emulator, graded_world, request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("SKIP LOCKED concurrency is a PostgreSQL property; SQLite has one writer")
    a, teacher, subs = graded_world
    for i, sub in enumerate(subs):
        grade(live_portal.app, teacher, sub, str(i + 1))
    moodle_emulator.set_latency(50)
    threads = [threading.Thread(target=drain, args=(live_portal.app,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert Counter(uid for _, uid, _ in moodle_emulator.app.site.grade_log) == \
        Counter({s.student.moodle_id: 1 for s in subs})


def test_time_coded_comments_become_links_in_moodle(live_portal, moodle_emulator, graded_world):
    from portal.services.grading import add_comment

    a, teacher, subs = graded_world
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        sub = pdb.session.get(Submission, subs[1].id)
        add_comment(pdb.session.get(type(teacher), teacher.id), sub, "61", "Steady framing here")
    grade(live_portal.app, teacher, subs[1], "70")
    drain(live_portal.app)
    feedback = moodle_emulator.grades(1)[subs[1].student.moodle_id]["feedback"]
    assert f"{live_portal.url}/grading/{subs[1].id}?t=61" in feedback and "1:01" in feedback


def test_moodle_unreachable_for_ten_minutes_every_grade_lands_once_with_nobody_acting(
        live_portal, moodle_emulator, graded_world, db, monkeypatch):
    """Issue 18.1: seven grades saved while Moodle is unreachable for a simulated 10 minutes (a
    controlled clock); nothing dies, an admin is alerted, and everything lands once when it is back."""
    from portal.services import alerts
    from portal.services.moodle import MoodleClient

    a, teacher, subs = graded_world
    clock = [utcnow()]
    monkeypatch.setattr(outbox, "utcnow", lambda: clock[0])
    values = {}
    for i in range(7):
        sub = subs[i % 4]
        grade(live_portal.app, teacher, sub, str(60 + i))
        values[sub.student.moodle_id] = float(60 + i)
    away = MoodleClient("http://127.0.0.1:9", moodle_emulator.service_token, timeout=(0.2, 0.2), read_retries=0)
    end = clock[0] + timedelta(minutes=10)
    alerted = False
    while clock[0] < end:
        with live_portal.app.app_context():
            from portal.extensions import db as pdb
            outbox.drain(pdb.session, away)
            alerted = alerted or {x.kind: x.count for x in alerts.collect(clock[0])}["moodle_away"] > 0
        clock[0] += timedelta(seconds=5)
    db.session.expire_all()
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state != "done")).all()
    assert {m.state for m in waiting} == {"pending"} and len(waiting) == 4       # none dead
    assert all(m.attempts >= 8 and "keeps trying" in m.last_error for m in waiting)
    assert alerted
    assert moodle_emulator.app.site.grade_log == []
    clock[0] += timedelta(seconds=outbox.BACKOFF_CAP + 1)     # the longest wait a row can have
    drain(live_portal.app)                                     # Moodle is back: nobody clicked anything
    log = moodle_emulator.app.site.grade_log
    assert Counter(uid for _, uid, _ in log) == Counter({uid: 1 for uid in values})
    assert {uid: g for _, uid, g in log} == values
    db.session.expire_all()
    assert {m.state for m in db.session.scalars(select(OutboxMessage))} == {"done"}
