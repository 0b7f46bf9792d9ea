"""Issue 18.6: thirty parallel upload creations against the real (threaded) server keep the
attempt limit and one unfinished upload per student and assignment, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import update

from portal import limits
from portal.models import Submission, utcnow
from tests.integration.test_upload_journey import create, session_for

PARALLEL = 30


def wave(live_portal, s, cmid) -> Counter:
    """PARALLEL creations for different files, released at once."""
    barrier, statuses, lock = threading.Barrier(PARALLEL), Counter(), threading.Lock()

    def one(i):
        barrier.wait()
        r = create(s, live_portal, cmid, 1000, fingerprint=f"file-{i}")
        with lock:
            statuses[r.status_code] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


@pytest.fixture
def unlimited(live_portal):
    """90 creations in seconds are what the rate limit refuses (tests/unit/test_rate_limits.py);
    here the race behind it is under test."""
    limiter = limits.limiter_of(live_portal.app)
    limiter.enabled = False
    yield
    limiter.enabled = True


def test_parallel_creations_keep_the_attempt_limit(live_portal, unlimited, make, db):
    course = make.course(make.company())
    # Attempts reopened by hand in Moodle: each next attempt once the teacher asked for it.
    assignment = make.assignment(course, max_attempts=3, max_bytes=10**6, reopen_method="manual")
    student = make.student(course)
    make.submission(assignment, student, status="ready", attempt=1,        # one attempt used, reopened
                    moodle_reopened_at=utcnow())
    s = session_for(live_portal, student)
    s.mount("http://", __import__("requests").adapters.HTTPAdapter(pool_maxsize=PARALLEL))

    for expected_created in (1, 1, 0):
        statuses = wave(live_portal, s, assignment.cmid)
        assert statuses[201] == expected_created, statuses
        assert statuses[500] == 0 and sum(statuses.values()) == PARALLEL, statuses
        db.session.expire_all()
        uploading = db.session.query(Submission).filter_by(assignment_id=assignment.id, status="uploading").all()
        assert len(uploading) <= 1
        # The upload finishes (Stream's webhook would say so) and the teacher asks for another
        # attempt, which Moodle opens: the next wave may start one.
        db.session.execute(update(Submission).where(Submission.assignment_id == assignment.id,
                                                    Submission.status == "uploading")
                           .values(status="processing", moodle_reopened_at=utcnow()))
        db.session.commit()

    attempts = sorted(a for (a,) in db.session.query(Submission.attempt).filter_by(assignment_id=assignment.id))
    assert attempts == [1, 2, 3]
