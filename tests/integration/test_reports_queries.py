"""Report queries against hand-worked figures, on SQLite and PostgreSQL (--db)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.services import reports
from portal.services.reports import Period
from tests.integration.reports_world import DAY, add_usage, build


@pytest.fixture
def w(make, db):
    return build(make, db)


def fields(row, *names):
    return tuple(getattr(row, n) for n in names)


COUNTS = ("students", "assignments", "submissions", "new", "in_review", "approved",
          "resubmit", "resubmissions", "not_submitted", "overdue", "viewed", "graded")


def test_company_summary(w):
    """Acme: 5 students, 3 assignments; submissions s1X s2X1 s2X2 s1Y s4Z by s1 s2 s4; new s2X2
    s1Y; in review s4Z; approved s1X; resubmit s2X1; one resubmission (s2X2); not submitted: X s3,
    Y s2 s3, Z s5; overdue s2X2 s4Z; viewed s1X s2X1 s4Z (1 day each); graded s1X (2 days),
    s2X1 (3 days)."""
    row = reports.company_summary(w.manager_a, w.acme, Period(), w.now)
    assert fields(row, *COUNTS) == (5, 3, 5, 2, 1, 1, 1, 1, 4, 2, 3, 2)
    assert row.seconds_to_view == pytest.approx(86400)
    assert row.seconds_to_grade == pytest.approx(2.5 * 86400)
    assert row.awaiting_review == 3


def test_courses_and_assignments(w):
    courses = reports.courses_progress(w.manager_a, w.acme, Period(), w.now)
    assert [c.name for c in courses] == ["Biology Fieldwork", "Geology Fieldwork"]
    bio, geo = courses
    assert fields(geo, *COUNTS) == (3, 2, 4, 2, 0, 1, 1, 1, 3, 1, 2, 2)
    assert fields(bio, *COUNTS) == (2, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0)

    x, y = reports.assignments_progress(w.manager_a, w.acme, w.geo, Period(), w.now)
    assert (x.name, y.name) == ("Field video X", "Field video Y")     # by due date
    assert fields(x, "students", "submissions", "not_submitted", "overdue", "resubmissions") == (3, 3, 1, 1, 1)
    assert fields(y, "students", "submissions", "not_submitted", "overdue") == (3, 1, 2, 0)


def test_period_selects_submissions_by_upload_time(w):
    """From 10 days ago: only s2X2 (-9d) and s1Y (-1d); everyone else has nothing in the period:
    X s1 s3, Y s2 s3, Z s4 s5."""
    period = Period(start=(w.now - 10 * DAY).date())
    row = reports.company_summary(w.manager_a, w.acme, period, w.now)
    assert fields(row, "submissions", "not_submitted", "overdue", "viewed") == (2, 6, 1, 0)
    until = Period(end=(w.now - 11 * DAY).date())     # up to -11d: s1X s2X1 s4Z
    assert reports.company_summary(w.manager_a, w.acme, until, w.now).submissions == 3


def test_student_list_of_an_assignment(w):
    rows = list(reports.review_status(w.manager_a, w.acme, Period(), w.now, assignment_id=w.X.id))
    got = [(r.student, r.attempts, r.status, r.review_state, r.overdue, r.graded_by) for r in rows]
    assert got == [("Student S1", 1, "ready", "approved", False, "Teacher One"),
                   ("Student S2", 2, "ready", "new", True, None),
                   ("Student S3", 0, None, None, False, None)]      # an unfinished upload is not one
    assert all(r.enrolled for r in rows)


def test_batch_review_status_of_the_company(w):
    rows = list(reports.review_status(w.manager_a, w.acme, Period(), w.now, stream=True))
    # 3 assignments x enrolled students: X 3, Y 3, Z 2
    assert len(rows) == 8
    assert {r.course for r in rows} == {"Geology Fieldwork", "Biology Fieldwork"}
    assert sum(r.submitted for r in rows) == 4 and sum(r.overdue for r in rows) == 2


def test_unenrolled_submitter_still_listed(w, db):
    from portal.models import Enrolment
    from portal.services.roster import refresh_student_enrolled
    db.session.delete(db.session.query(Enrolment).filter_by(user_id=w.s4.id).one())
    refresh_student_enrolled(w.s4.id)             # what the roster sync does after rewriting them
    db.session.commit()
    rows = list(reports.review_status(w.manager_a, w.acme, Period(), w.now, assignment_id=w.Z.id))
    assert [(r.student, r.enrolled, r.status) for r in rows] == [("Student S4", False, "ready"),
                                                                 ("Student S5", True, None)]
    # counted as a submission, but not as an enrolled student who submitted: s5 still has not
    [z] = reports.assignments_progress(w.manager_a, w.acme, w.bio, Period(), w.now)
    assert fields(z, "students", "submissions", "not_submitted") == (1, 1, 1)


def test_a_retry_after_a_failed_upload_counts_once(w, make):
    """s5's first attempt at Z failed; the second arrived: s5 has submitted. s2's two attempts at
    X are one student who submitted."""
    make.submission(w.Z, w.s5, attempt=2, status="ready", uploaded_at=w.now - DAY, created_at=w.now - DAY)
    [z] = reports.assignments_progress(w.manager_a, w.acme, w.bio, Period(), w.now)
    assert fields(z, "students", "submissions", "not_submitted", "resubmissions") == (2, 2, 0, 1)
    x, _ = reports.assignments_progress(w.manager_a, w.acme, w.geo, Period(), w.now)
    assert fields(x, "submissions", "not_submitted") == (3, 1)


def test_turnaround_by_teacher_and_course(w):
    rows = reports.turnaround(w.manager_a, w.acme, Period())
    got = [(r.course, r.teacher, r.submissions, r.viewed, r.graded) for r in rows]
    assert got == [("Biology Fieldwork", None, 1, 1, 0),
                   ("Geology Fieldwork", "Teacher One", 2, 2, 2),
                   ("Geology Fieldwork", None, 2, 0, 0)]
    t1 = rows[1]
    assert t1.seconds_to_view == pytest.approx(86400) and t1.seconds_to_grade == pytest.approx(2.5 * 86400)


def test_activity_and_backlog(w):
    """Before the period (from -10d): s1X s2X1 s4Z submitted, none graded: backlog 3. Then -10d
    s1X graded (2), -9d s2X2 in and s2X1 graded (2), -1d s1Y in (3)."""
    period = Period(start=(w.now - 10 * DAY).date(), end=w.now.date())
    points = reports.activity(w.manager_a, w.acme, period, "day")
    day = lambda n: (w.now - n * DAY).date().isoformat()   # noqa: E731
    assert [(p.key, p.submitted, p.graded, p.backlog) for p in points] == [
        (day(10), 0, 1, 2), (day(9), 1, 1, 2), (day(1), 1, 0, 3)]


def test_activity_by_week_and_month(w):
    weeks = reports.activity(w.manager_a, w.acme, Period(), "week")
    assert sum(p.submitted for p in weeks) == 5 and weeks[-1].backlog == 3
    assert all(date.fromisoformat(p.key).weekday() == 0 for p in weeks)    # Mondays
    months = reports.activity(w.manager_a, w.acme, Period(), "month")
    assert [p.key for p in months] == ["2026-02", "2026-03"]
    assert [(p.submitted, p.graded) for p in months] == [(1, 0), (4, 2)]


def test_usage_by_month_peak_and_sum(w, db):
    add_usage(db, w)
    months = reports.company_usage_by_month(w.manager_a, w.acme, Period())
    assert [(m.month, m.stored_minutes, m.delivered_minutes, m.last_day) for m in months] == [
        ("2026-02", 400, 3500, date(2026, 2, 20)), ("2026-03", 4400, 1400, date(2026, 3, 14))]
    by_course = reports.course_usage_by_month(w.manager_a, w.acme, Period(start=date(2026, 2, 1),
                                                                          end=date(2026, 2, 28)))
    assert [(m.course, m.stored_minutes, m.delivered_minutes) for m in by_course] == [
        ("Biology Fieldwork", 250, 500), ("Geology Fieldwork", 300, 3000)]


def test_manager_of_b_sees_nothing_of_a(w, db):
    add_usage(db, w)
    mb = w.manager_b
    assert reports.companies_progress(mb, Period(), w.now) == [
        reports.companies_progress(w.admin, Period(), w.now, w.beta.id)[0]]
    assert reports.courses_progress(mb, w.acme, Period(), w.now) == []
    assert reports.assignments_progress(mb, w.acme, w.geo, Period(), w.now) == []
    assert list(reports.review_status(mb, w.acme, Period(), w.now)) == []
    assert reports.turnaround(mb, w.acme, Period()) == []
    assert reports.activity(mb, w.acme, Period(), "month") == []
    assert reports.company_usage_by_month(mb, w.acme, Period()) == []
    assert reports.course_usage_by_month(mb, w.acme, Period()) == []
    assert reports.reportable_course(mb, w.acme, w.geo.id) is None
    assert reports.reportable_assignment(mb, w.acme, w.X.id) is None
    # and a course of B is not reachable through company A, even for an admin
    assert reports.reportable_course(w.admin, w.acme, w.secret.id) is None


def test_admin_sees_every_company(w):
    rows = reports.companies_progress(w.admin, Period(), w.now)
    assert [(r.name, r.submissions) for r in rows] == [("Acme Fieldwork", 5), ("Beta Secret Co", 1)]


def test_period_parsing():
    assert Period.from_args({"start": "2026-03-01", "end": ""}) == Period(date(2026, 3, 1), None)
    for bad in ({"start": "yesterday"}, {"start": "2026-03-02", "end": "2026-03-01"}):
        with pytest.raises(reports.BadPeriod):
            Period.from_args(bad)
    p = Period(date(2026, 3, 1), date(2026, 3, 1))
    assert p.until - p.since == timedelta(days=1)
    assert reports.chart_unit(Period(), date(2026, 3, 15)) == "week"
    assert reports.chart_unit(p, date(2026, 3, 15)) == "day"
    assert reports.chart_unit(Period(start=date(2020, 1, 1)), date(2026, 3, 15)) == "month"


def test_all_time_repeats_agree_with_the_definition(w, make, db):
    """Over all time the report counts repeats from the failed attempts' side; it must agree with
    the definition (a later attempt with an earlier submitted one) on every pattern of attempts."""
    from portal.models import Course
    patterns = {                       # one student each, attempts in order -> repeats among them
        ("ready",): 0, ("ready", "ready"): 1, ("error", "ready"): 0, ("error", "error", "ready", "ready"): 1,
        ("expired", "ready", "deleted"): 1, ("ready", "error", "ready"): 1, ("processing", "ready"): 1,
    }
    for n, statuses in enumerate(patterns):
        student = make.student(w.geo, username=f"p{n}")
        for attempt, status in enumerate(statuses, 1):
            make.submission(w.X, student, attempt=attempt, status=status, uploaded_at=w.now - (9 - attempt) * DAY)
    leaver = make.user("leaver")                      # submitted twice, then left the course
    for attempt in (1, 2):
        make.submission(w.X, leaver, attempt=attempt, uploaded_at=w.now - DAY, student_enrolled=False)
    db.session.commit()
    scope = [Course.company_id == w.acme.id]
    facts = reports._facts(w.manager_a, scope, Period(), w.now)
    fast = reports._repeats_all_time(w.manager_a, scope, facts)
    exact = reports._repeats_in(w.manager_a, scope, Period())
    assert fast[w.X.id] == exact[w.X.id] == 1 + sum(patterns.values())      # s2's second attempt too
    assert {k: v for k, v in fast.items() if v} == exact
    [x, *_] = reports.assignments_progress(w.manager_a, w.acme, w.geo, Period(), w.now)
    assert x.not_submitted == 1          # s3 only: every pattern student reached Stream at least once
