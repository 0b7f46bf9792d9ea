"""Every report table as a CSV download; each download is written to the audit log first."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from ..audit import record
from ..csv_export import csv_response
from ..extensions import db
from ..models import Assignment, Company, Course, User
from ..services import costs, reports
from ..services.reports import Period, ProgressRow
from . import pages

PROGRESS_HEADER = ["students", "submissions", "not yet submitted", "new",
                   "in review", "approved", "resubmit requested", "resubmissions", "overdue reviews",
                   "first viewed", "graded", "avg hours to first view", "avg hours to grade"]


def _hours(seconds: Optional[float]) -> Any:
    return "" if seconds is None else round(seconds / 3600, 1)


def _progress(row: ProgressRow) -> list[Any]:
    return [row.students, row.submissions, row.not_submitted, row.new, row.in_review,
            row.approved, row.resubmit, row.resubmissions, row.overdue, row.viewed, row.graded,
            _hours(row.seconds_to_view), _hours(row.seconds_to_grade)]


def _audited(user: User, table: str, company: Optional[Company], period: Period, **scope) -> None:
    # Committed before the first byte: the download is recorded even if the client hangs up.
    record("report.export", user, object_type="company" if company else "site",
           object_id=company.id if company else "", company_id=company.id if company else None,
           table=table, period=period.as_args(),
           **{k: v.id for k, v in scope.items() if v is not None})
    db.session.commit()


def companies(user: User, period: Period, now: datetime):
    rows = reports.companies_progress(user, period, now)
    _audited(user, "companies", None, period)
    return csv_response("companies", ["company", "assignments", *PROGRESS_HEADER],
                        ([r.name, r.assignments, *_progress(r)] for r in rows))


def forecast(user: User, result: costs.Forecast):
    record("report.export", user, object_type="forecast", table="forecast")
    db.session.commit()
    header = ["month", "new users", "users to date", "videos stored", "stored minutes",
              "delivered minutes", "storage cost USD", "delivery cost USD", "month total USD",
              "running total USD", "onboarding"]
    rows = [[m.month, m.new_users, m.users_to_date, m.videos_stored,
             round(float(m.stored_minutes), 2), round(float(m.delivered_minutes), 2), m.cost.storage,
             m.cost.delivery, m.cost.total, m.running_total, m.onboarding] for m in result.months]
    return csv_response("forecast", header, rows)


def company_table(user: User, company: Company, table: str, period: Period, now: datetime,
                  course: Optional[Course] = None, assignment: Optional[Assignment] = None):
    # Statements are built (and scoped) here; rows are read while the response streams.
    header, rows = _TABLES[table](user, company, period, now, course, assignment)
    parts = [company.shortname or company.name, table]
    if assignment is not None:
        parts.append(assignment.name)
    elif course is not None:
        parts.append(course.shortname)
    if not period.is_open:
        parts.append(f"{period.start or 'start'}_{period.end or 'today'}")
    _audited(user, table, company, period, course=course, assignment=assignment)
    return csv_response("_".join(str(p) for p in parts), header, rows)


def _courses(user, company, period, now, course, assignment):
    rows = reports.courses_progress(user, company, period, now)
    return ["course", "assignments", *PROGRESS_HEADER], ([r.name, r.assignments, *_progress(r)] for r in rows)


def _assignments(user, company, period, now, course, assignment):
    rows = reports.assignments_progress(user, company, course, period, now)
    return ["assignment", *PROGRESS_HEADER], ([r.name, *_progress(r)] for r in rows)


STATUS_HEADER = ["course", "assignment", "due", "student", "username", "enrolled", "attempts",
                 "video status", "review state", "submitted", "first viewed", "graded", "graded by",
                 "grade", "review overdue"]


def _status_rows(rows: Iterable[reports.StudentStatus]) -> Iterable[Sequence[Any]]:
    for r in rows:
        yield [r.course, r.assignment, r.due_at, r.student, r.username, r.enrolled, r.attempts,
               r.status or "not submitted", r.review_state, r.submitted_at, r.first_viewed_at,
               r.graded_at, r.graded_by, r.grade, r.overdue]


def _students(user, company, period, now, course, assignment):
    return STATUS_HEADER, _status_rows(reports.review_status(user, company, period, now,
                                                             assignment_id=assignment.id, stream=True))


def _review_status(user, company, period, now, course, assignment):
    """The batch export: every (assignment, student) of the company, a course or an assignment."""
    return STATUS_HEADER, _status_rows(reports.review_status(
        user, company, period, now, course_id=course.id if course else None,
        assignment_id=assignment.id if assignment else None, stream=True))


def _turnaround(user, company, period, now, course, assignment):
    rows = reports.turnaround(user, company, period, now)
    return (["course", "teacher", "submissions", "first viewed", "graded", "avg hours to first view",
             "avg hours to grade"],
            ([r.course, r.teacher or "(not graded yet)", r.submissions, r.viewed, r.graded,
              _hours(r.seconds_to_view), _hours(r.seconds_to_grade)] for r in rows))


COST_HEADER = ["stored minutes (fullest day)", "delivered minutes", "storage cost USD",
               "delivery cost USD", "total USD"]


def _cost_cells(c: costs.MonthCost) -> list[Any]:
    return [round(float(c.stored_minutes), 2), round(float(c.delivered_minutes), 2), c.storage,
            c.delivery, c.total]


def _costs(user, company, period, now, course, assignment):
    table = pages.company_costs(user, company, period)
    return ["month", *COST_HEADER], ([r.month, *_cost_cells(r.cost)] for r in table.rows)


def _course_costs(user, company, period, now, course, assignment):
    table = pages.course_costs(user, company, period)
    return ["month", "course", *COST_HEADER], ([r.month, r.course, *_cost_cells(r.cost)] for r in table.rows)


_TABLES = {"courses": _courses, "assignments": _assignments, "students": _students,
           "review-status": _review_status, "turnaround": _turnaround, "costs": _costs,
           "course-costs": _course_costs}
