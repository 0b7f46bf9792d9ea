"""Benchmark helpers for the portal: a throw-away database with many rows, a signed-in client."""
from __future__ import annotations

import random
import sys
import tempfile
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models import (Assignment, Company, Course, Enrolment, Submission, User, utcnow)  # noqa: E402
from tests.support.database import throwaway_database  # noqa: E402
from tests.support.portal import make_app  # noqa: E402


@contextmanager
def portal(kind: str = "postgres", **overrides):
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(kind, Path(tmp)) as url:
        app = make_app(url, **overrides)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


def seed_queue(n_submissions: int, n_courses: int = 4) -> User:
    """A teacher of `n_courses` courses with `n_submissions` ready videos to grade."""
    company = Company(moodle_id=1, name="Bench Co", shortname="bench")
    teacher = User(moodle_id=1, username="teacher", fullname="Bench Teacher", email="t@x")
    db.session.add_all([company, teacher])
    db.session.flush()
    courses = [Course(moodle_id=10 + i, company_id=company.id, shortname=f"C{i}", fullname=f"Course {i}")
               for i in range(n_courses)]
    db.session.add_all(courses)
    db.session.flush()
    assignments = [Assignment(moodle_id=100 + i, cmid=100 + i, course_id=c.id, name=f"Video {i}",
                              grade_max=Decimal(100), max_bytes=5 * 1024**3, max_minutes=30, max_attempts=3,
                              due_at=utcnow() + timedelta(days=i - 2)) for i, c in enumerate(courses)]
    db.session.add_all(assignments)
    db.session.add_all([Enrolment(user_id=teacher.id, course_id=c.id, role="editingteacher") for c in courses])
    db.session.flush()
    students = [dict(moodle_id=1000 + i, username=f"s{i}", fullname=f"Student {i:05d}", email=f"s{i}@x",
                     is_site_admin=False, active=True, created_at=utcnow()) for i in range(n_submissions)]
    db.session.execute(User.__table__.insert(), students)
    ids = [row.id for row in db.session.execute(db.select(User.id).where(User.username.like("s%")))]
    rng = random.Random(1)
    now = utcnow()
    rows = [dict(assignment_id=assignments[i % n_courses].id, student_id=sid, attempt=1, stream_uid=uuid.uuid4().hex,
                 upload_length=10**8, filename="v.mp4", fingerprint="", status="ready", review_state=rng.choice(
                     ["new", "new", "in_review", "approved"]), feedback="", legal_hold=False, version=1,
                 created_at=now - timedelta(minutes=i), uploaded_at=now - timedelta(minutes=i), duration_seconds=300.0)
            for i, sid in enumerate(ids)]
    db.session.execute(Submission.__table__.insert(), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":      # what autovacuum does after a bulk load
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(db.text("ANALYZE"))
    return teacher


def login(client, user) -> None:
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
