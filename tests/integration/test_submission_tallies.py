"""The submission tallies the company report sums are kept by database triggers: after any write
to the submissions (ORM or bulk SQL, updates that move a submission to another day or grader,
deletes, cascades, rollbacks) the report's pass over the tallies must equal the same pass
counted from the submissions (tests/support/reports_oracle.py), on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from dataclasses import astuple
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text, update

from portal.extensions import db as _db
from portal.models import Course, Submission, SubmissionTally
from portal.services import reports
from portal.services.reports import REVIEW_WITHIN, Period
from tests.support.database import throwaway_database
from tests.support.portal import make_app
from tests.support.reports_oracle import raw_facts_statement

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)
CUTOFF = NOW - REVIEW_WITHIN          # overdue counts whole days from the tallies, this day from rows
STATUSES = ("uploading", "processing", "ready", "error", "expired", "deleted")
STATES = ("new", "in_review", "approved", "resubmit")


def facts_by_key(rows) -> dict:
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def assert_report_pass_agrees(manager, company, now=NOW) -> None:
    scope = [Course.company_id == company.id]
    cutoff_day = (now - REVIEW_WITHIN).date()
    periods = [Period(), Period(cutoff_day, cutoff_day), Period(cutoff_day - timedelta(days=3), None),
               Period(None, cutoff_day - timedelta(days=1)), Period(date(2020, 1, 1), date(2020, 1, 2))]
    for period in periods:
        fast = {(f.assignment_id, f.graded_by_id): astuple(f)[2:] for f in reports._facts(manager, scope, period, now)}
        exact = facts_by_key(_db.session.execute(raw_facts_statement(manager, scope, period, now)))
        assert fast.keys() == exact.keys(), period
        for key in exact:
            assert fast[key][:-2] == exact[key][:-2], (period, key)
            assert fast[key][-2:] == pytest.approx(exact[key][-2:], abs=1e-3), (period, key)
    # a tally whose submissions all went is removed, not left at zero
    assert _db.session.scalar(select(func.count()).select_from(SubmissionTally)
                              .where(SubmissionTally.submissions <= 0)) == 0


def a_time(rng: random.Random) -> datetime:
    """Mostly around the overdue cut-off (its own day is the one counted from rows), else within a month."""
    if rng.random() < 0.4:
        return CUTOFF + timedelta(hours=rng.uniform(-14, 14))
    return NOW - timedelta(days=rng.uniform(0, 30))


def test_tallies_follow_every_kind_of_write(make, db):
    rng = random.Random(20261203)
    company = make.company("Acme")
    other = make.company("Other")
    manager = make.manager_of(company, make.user("manager"))
    courses = [make.course(company), make.course(company), make.course(other)]
    assignments = [make.assignment(c, due_at=NOW - timedelta(days=rng.choice((-3, 5, 12)))) for c in courses for _ in (1, 2)]
    teachers = [make.teacher(c) for c in courses]
    students = [make.student(rng.choice(courses)) for _ in range(12)]
    attempts: dict[tuple[int, int], int] = {}

    def a_status(assignment_id, student_id, sub_id=None):
        """Any status, but one upload in progress per student and assignment (the schema's rule)."""
        status = rng.choice(STATUSES)
        if status == "uploading" and db.session.scalar(select(Submission.id).where(
                Submission.assignment_id == assignment_id, Submission.student_id == student_id,
                Submission.status == "uploading", Submission.id != (sub_id or 0))):
            status = "processing"
        return status

    def add_submission():
        a, s = rng.choice(assignments), rng.choice(students)
        attempts[a.id, s.id] = attempts.get((a.id, s.id), 0) + 1
        status = a_status(a.id, s.id)
        at = a_time(rng)
        db.session.add(Submission(assignment=a, student=s, attempt=attempts[a.id, s.id], stream_uid=f"u{rng.random()}",
                                  upload_length=1, status=status, created_at=at - timedelta(minutes=5),
                                  uploaded_at=None if rng.random() < 0.2 else at, review_state=rng.choice(STATES),
                                  student_enrolled=rng.random() < 0.8))

    def some_submission():
        ids = db.session.scalars(select(Submission.id)).all()
        return db.session.get(Submission, rng.choice(ids)) if ids else None

    def change_status():
        if sub := some_submission():
            sub.status = a_status(sub.assignment_id, sub.student_id, sub.id)
            if sub.uploaded_at is None and rng.random() < 0.5:
                sub.uploaded_at = a_time(rng)          # the upload finishes: the submission's day moves

    def review():
        if sub := some_submission():
            sub.review_state = rng.choice(STATES)
            sub.first_viewed_at = sub.first_viewed_at or (sub.uploaded_at or sub.created_at) + timedelta(hours=3)
            if sub.review_state in ("approved", "resubmit"):
                sub.graded_by_id = rng.choice(teachers).id
                sub.graded_at = (sub.uploaded_at or sub.created_at) + timedelta(hours=rng.uniform(4, 90))

    def move_in_time():
        if sub := some_submission():
            sub.uploaded_at = a_time(rng)

    def roster_update():                       # bulk SQL, as roster.refresh_student_enrolled does
        db.session.execute(update(Submission).where(Submission.student_id == rng.choice(students).id)
                           .values(student_enrolled=rng.random() < 0.5))

    def remove():
        if sub := some_submission():
            db.session.delete(sub)

    def bulk_delete_old():
        db.session.execute(delete(Submission).where(Submission.created_at < NOW - timedelta(days=28)))

    def rolled_back():
        add_submission()
        change_status()
        db.session.flush()
        db.session.rollback()

    operations = [add_submission] * 6 + [change_status] * 3 + [review] * 3 + [move_in_time, roster_update, remove,
                                                                                bulk_delete_old, rolled_back]
    for step in range(1, 241):
        rng.choice(operations)()
        if step % 20 == 0:
            db.session.commit()
            assert_report_pass_agrees(manager, company)
            assert_report_pass_agrees(manager, company, now=NOW + timedelta(hours=rng.uniform(-30, 30)))

    # a grader leaves Moodle (graded_by_id SET NULL) and an assignment goes (ON DELETE CASCADE)
    db.session.execute(delete(type(teachers[0])).where(type(teachers[0]).id == teachers[0].id))
    db.session.execute(delete(type(assignments[1])).where(type(assignments[1]).id == assignments[1].id))
    db.session.commit()
    assert_report_pass_agrees(manager, company)
    assert db.session.scalar(select(func.count()).select_from(SubmissionTally)
                             .where(SubmissionTally.assignment_id == assignments[1].id)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubmissionTally)
                             .where(SubmissionTally.grader_id == teachers[0].id)) == 0


def test_overdue_on_the_cut_off_day_counts_to_the_instant(make, db):
    """Ready and new, submitted 7 days minus/plus an hour before now: only the older one is
    overdue, though both are on the same day's tally."""
    company = make.company("Acme")
    manager = make.manager_of(company, make.user("manager"))
    course = make.course(company)
    a = make.assignment(course, due_at=NOW - timedelta(days=30))
    for hours in (1, -1):
        make.submission(a, make.student(course), uploaded_at=CUTOFF - timedelta(hours=hours))
    [row] = reports.assignments_progress(manager, company, course, Period(), NOW)
    assert (row.submissions, row.overdue) == (2, 1)
    [row] = reports.assignments_progress(manager, company, course, Period(), NOW + timedelta(hours=2))
    assert row.overdue == 2


def test_migration_counts_the_submissions_already_there(request, tmp_path):
    """Upgrading a database with submissions fills the tallies from them (the backfill)."""
    from tests.factories import Factory
    with throwaway_database(request.config.getoption("--db"), tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            # The rows are made with today's models at the newest schema, then the schema goes back
            # to before the tallies with the rows kept (models of a later release have columns 0003
            # lacks, so the rows cannot be made at 0003).
            upgrade()
            make = Factory(_db)
            company = make.company("Acme")
            manager = make.manager_of(company, make.user("manager"))
            course = make.course(company)
            a = make.assignment(course)
            for n, status in enumerate(("ready", "ready", "processing", "error", "deleted")):
                make.submission(a, make.student(course), status=status, uploaded_at=NOW - timedelta(days=n),
                                review_state=STATES[n % 4], first_viewed_at=NOW)
            ids = manager.id, company.id
            _db.session.remove()
            downgrade(revision="0003")
            upgrade()
            manager, company = _db.session.get(type(manager), ids[0]), _db.session.get(type(company), ids[1])
            assert_report_pass_agrees(manager, company)
            assert _db.session.scalar(select(func.sum(SubmissionTally.submissions))) == 4
            _db.session.remove()
            downgrade(revision="0003")
            assert "submission_tallies" not in {r[0] for r in _db.session.execute(text(
                "SELECT tablename FROM pg_tables" if _db.engine.dialect.name == "postgresql"
                else "SELECT name FROM sqlite_master WHERE type = 'table'"))}
            _db.session.remove()
            _db.engine.dispose()


def test_concurrent_writers_lose_no_count(make, db):
    """Four writers at once, each its own submissions but all on one assignment, two days and two
    graders: every transaction's trigger updates the same few tally rows, moving submissions
    between them both ways. None of the counts may be lost, and as the trigger locks two tallies
    in key order, no transaction may deadlock (PostgreSQL; SQLite has one writer at a time)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers")
    import threading

    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    company = make.company("Acme")
    manager = make.manager_of(company, make.user("manager"))
    course = make.course(company)
    a = make.assignment(course, due_at=NOW - timedelta(days=30))
    graders = [make.teacher(course).id for _ in range(2)]
    ids = [make.submission(a, make.student(course), uploaded_at=NOW - timedelta(days=9)).id for _ in range(24)]
    engine = db.engine                       # the threads have no app context
    commits, deadlocks, errors = [], [], []

    def writer(mine: list[int], seed: int) -> None:
        rng = random.Random(seed)
        try:
            with Session(engine) as session:
                for _ in range(40):
                    try:
                        sub = session.get(Submission, rng.choice(mine))
                        sub.review_state = rng.choice(STATES)
                        sub.status = rng.choice(("processing", "ready", "ready", "deleted", "error"))
                        sub.graded_by_id, sub.graded_at = ((rng.choice(graders), NOW - timedelta(days=8))
                                                           if rng.random() < 0.5 else (None, None))
                        sub.uploaded_at = NOW - timedelta(days=rng.choice((9, 10)))
                        session.commit()
                        commits.append(1)
                    except OperationalError as exc:  # a deadlock refuses one transaction whole
                        session.rollback()
                        if "deadlock" not in str(exc):
                            raise
                        deadlocks.append(1)
        except Exception as exc:                 # a thread's failure is the test's
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(ids[n::4], n)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (len(commits), len(deadlocks)) == (160, 0)
    db.session.expire_all()
    assert_report_pass_agrees(manager, company)
