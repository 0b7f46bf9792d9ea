"""Report queries for IOMAD company managers and site admins.

Every query starts from the companies `authz.reportable_companies(user)` allows, so pages,
fragments and CSV exports share one scope. No query per row: one GROUP BY pass over the
submission tallies (per assignment and grader, `tallies_statement`; the tallies are the
submissions already counted per day by the database) is rolled up in Python into the summary,
the course and assignment tables and the turnaround table; a few small lookups (the
assignments, enrolled students, second attempts) complete it. bench/company_report.py measures it
over 100,000 submissions on PostgreSQL.

Definitions, in one place:
- a *submission* is an attempt whose video reached Stream (processing, ready, or since deleted by
  retention); an upload that never finished is not one. Its time is when the upload finished.
- the period (date range) selects submissions by that time; "not submitted" counts enrolled
  students with no submission in the period, for each assignment.
- a review is *overdue* when a ready video is still new or in review REVIEW_WITHIN after it was
  submitted, or after the assignment's due date if that is later (teachers mark after the deadline).
- turnaround: submission to first view by a teacher, and submission to grade.
- a *resubmission* is any attempt after the first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Iterator, Mapping, Optional

from sqlalchemy import Date, Select, and_, case, distinct, exists, func, literal, or_, select, text, union
from sqlalchemy.orm import aliased

from .. import authz
from ..extensions import db
from ..models import (Assignment, Company, Course, CourseRole, Enrolment, ReviewState, Submission,
                      SubmissionTally, UsageDay, User, UTCDateTime, VideoStatus)
from .sqltime import period_start

SUBMITTED = (VideoStatus.PROCESSING.value, VideoStatus.READY.value, VideoStatus.DELETED.value)
NOT_SUBMITTED = tuple(s.value for s in VideoStatus if s.value not in SUBMITTED)   # failed or unfinished
AWAITING_REVIEW = (ReviewState.NEW.value, ReviewState.IN_REVIEW.value)
REVIEW_WITHIN = timedelta(days=7)
STUDENT = CourseRole.STUDENT.value

SUBMITTED_AT = func.coalesce(Submission.uploaded_at, Submission.created_at)


class BadPeriod(ValueError):
    """The date range cannot be understood; the message says why, for people."""


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `start` to `end`, both included; None on either side: unbounded."""
    start: Optional[date] = None
    end: Optional[date] = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Period":
        values = {}
        for name in ("start", "end"):
            raw = (args.get(name) or "").strip()
            try:
                values[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                raise BadPeriod(f"'{raw}' is not a date (use YYYY-MM-DD)") from None
        period = cls(**values)
        if period.start and period.end and period.start > period.end:
            raise BadPeriod("The start of the period is after its end.")
        return period

    @property
    def since(self) -> Optional[datetime]:
        return datetime.combine(self.start, time(), timezone.utc) if self.start else None

    @property
    def until(self) -> Optional[datetime]:   # exclusive
        return datetime.combine(self.end + timedelta(days=1), time(), timezone.utc) if self.end else None

    def where(self, column) -> list:
        conds = []
        if self.since:
            conds.append(column >= literal(self.since, UTCDateTime()))
        if self.until:
            conds.append(column < literal(self.until, UTCDateTime()))
        return conds

    def where_day(self, column) -> list:
        conds = []
        if self.start:
            conds.append(column >= self.start)
        if self.end:
            conds.append(column <= self.end)
        return conds

    def as_args(self) -> dict[str, str]:
        return {k: v.isoformat() for k, v in (("start", self.start), ("end", self.end)) if v}

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


# --- scope ------------------------------------------------------------------------------------

def _company_ids(user: User) -> Select:
    return authz.reportable_companies(user).with_only_columns(Company.id)


def reportable_course(user: User, company: Company, course_id: int) -> Optional[Course]:
    return db.session.scalar(select(Course).where(
        Course.id == course_id, Course.company_id == company.id, Course.company_id.in_(_company_ids(user))))


def reportable_assignment(user: User, company: Company, assignment_id: int) -> Optional[Assignment]:
    return db.session.scalar(select(Assignment).join(Assignment.course).where(
        Assignment.id == assignment_id, Course.company_id == company.id,
        Course.company_id.in_(_company_ids(user))))


# --- progress: one pass over the submissions feeds every table ----------------------------------

@dataclass
class ProgressRow:
    """One row of a drill-down table (a company, a course or an assignment), or a summary."""
    id: int
    name: str
    students: int = 0
    assignments: int = 0
    submissions: int = 0
    new: int = 0
    in_review: int = 0
    approved: int = 0
    resubmit: int = 0
    resubmissions: int = 0
    not_submitted: int = 0
    overdue: int = 0
    viewed: int = 0
    graded: int = 0
    view_seconds: float = 0.0        # sums, so that rows add up; averages below
    grade_seconds: float = 0.0

    @property
    def awaiting_review(self) -> int:
        return self.new + self.in_review

    @property
    def seconds_to_view(self) -> Optional[float]:
        return self.view_seconds / self.viewed if self.viewed else None

    @property
    def seconds_to_grade(self) -> Optional[float]:
        return self.grade_seconds / self.graded if self.graded else None


ADDITIVE = ("submissions", "new", "in_review", "approved", "resubmit", "resubmissions", "viewed", "graded",
            "view_seconds", "grade_seconds")


@dataclass
class _Fact:
    """Submissions of one assignment graded by one teacher (or not graded yet), counted."""
    assignment_id: int
    graded_by_id: Optional[int]
    submissions: int
    enrolled: int                   # by students still enrolled in the course
    new: int
    in_review: int
    approved: int
    resubmit: int
    resubmissions: int
    enrolled_resubmissions: int     # second and later attempts by students still enrolled
    overdue_if_due_passed: int      # ready, awaiting review, submitted before the cut-off
    viewed: int
    graded: int
    view_seconds: float
    grade_seconds: float


@dataclass(frozen=True)
class _AssignmentInfo:
    id: int
    name: str
    due_at: Optional[datetime]
    course_id: int
    course: str
    company_id: int
    company: str


def _scoped_courses(user: User, scope: list) -> Select:
    return select(Course.id).where(Course.company_id.in_(_company_ids(user)), *scope)


def _scoped_assignments(user: User, scope: list) -> Select:
    return select(Assignment.id).where(Assignment.course_id.in_(_scoped_courses(user, scope)))


def _assignment_infos(user: User, scope: list) -> list[_AssignmentInfo]:
    stmt = (select(Assignment.id, Assignment.name, Assignment.due_at, Course.id, Course.fullname,
                   Company.id, Company.name)
            .join(Course, Assignment.course_id == Course.id).join(Company, Course.company_id == Company.id)
            .where(Course.company_id.in_(_company_ids(user)), *scope)
            .order_by(Assignment.due_at, Assignment.name, Assignment.id))
    return [_AssignmentInfo(*r) for r in db.session.execute(stmt)]


def _facts(user: User, scope: list, period: Period, now: datetime) -> list[_Fact]:
    facts = [_Fact(*r) for r in db.session.execute(tallies_statement(user, scope, period, now))]
    late = _overdue_on_cutoff_day(user, scope, period, now - REVIEW_WITHIN)
    for f in facts:
        f.overdue_if_due_passed += late.get((f.assignment_id, f.graded_by_id), 0)
    return facts


def tallies_statement(user: User, scope: list, period: Period, now: datetime) -> Select:
    """THE pass: the submission tallies (models.SubmissionTally, kept by the database's
    triggers) summed per (assignment, grader) over the period's days; every table of the
    company page is a sum of its rows. The bench's 100,000 submissions are 7,400 tallies, 5-7 ms
    (bench/company_report.py); tests/support/reports_oracle.py counts the same from the submissions.
    Overdue reviews are counted here for the days wholly before the cut-off; the cut-off's own
    day is counted from the submissions (_overdue_on_cutoff_day)."""
    t = SubmissionTally
    cutoff_day = literal((now - REVIEW_WITHIN).astimezone(timezone.utc).date(), Date())
    return (select(t.assignment_id, func.nullif(t.grader_id, 0), func.sum(t.submissions), func.sum(t.enrolled),
                   func.sum(t.new), func.sum(t.in_review), func.sum(t.approved), func.sum(t.resubmit),
                   func.sum(t.resubmissions), func.sum(t.enrolled_resubmissions),
                   func.coalesce(func.sum(t.ready_awaiting).filter(t.day < cutoff_day), 0),
                   func.sum(t.viewed), func.sum(t.graded), func.sum(t.view_seconds), func.sum(t.grade_seconds))
            .where(t.assignment_id.in_(_scoped_assignments(user, scope)), *period.where_day(t.day))
            .group_by(t.assignment_id, t.grader_id))


def _overdue_on_cutoff_day(user: User, scope: list, period: Period,
                           cutoff: datetime) -> dict[tuple[int, Optional[int]], int]:
    """Ready videos awaiting review submitted on the cut-off's day before the cut-off instant,
    per (assignment, grader): one day of submissions, read through the time indexes."""
    day = cutoff.astimezone(timezone.utc).date()
    if (period.start and day < period.start) or (period.end and day > period.end):
        return {}
    stmt = (select(Submission.assignment_id, Submission.graded_by_id, func.count())
            .where(Submission.assignment_id.in_(_scoped_assignments(user, scope)),
                   Submission.status == VideoStatus.READY.value, Submission.review_state.in_(AWAITING_REVIEW),
                   _submitted_between(datetime.combine(day, time(), timezone.utc), cutoff))
            .group_by(Submission.assignment_id, Submission.graded_by_id))
    return {(aid, by): n for aid, by, n in db.session.execute(stmt)}


def _submitted_between(since: datetime, until: datetime):
    """since <= SUBMITTED_AT < until, spelled so that each branch of the COALESCE is a range on
    its own indexed column."""
    lo, hi = literal(since, UTCDateTime()), literal(until, UTCDateTime())
    return or_(and_(Submission.uploaded_at >= lo, Submission.uploaded_at < hi),
               and_(Submission.uploaded_at.is_(None), Submission.created_at >= lo, Submission.created_at < hi))


def _repeats(user: User, scope: list, period: Period, facts: list[_Fact]) -> dict[int, int]:
    """Per assignment, enrolled students' submissions that follow an earlier one of theirs in the
    period: submissions minus these are the students who submitted."""
    if not any(f.enrolled_resubmissions for f in facts):
        return {}      # without a second attempt anywhere, every submission is a different student's
    if period.is_open:
        return _repeats_all_time(user, scope, facts)
    return _repeats_in(user, scope, period)


def _earlier_submitted(period: Period):
    """An earlier attempt of the same student at the same assignment reached Stream in `period`."""
    earlier = aliased(Submission)
    return exists().where(earlier.assignment_id == Submission.assignment_id,
                          earlier.student_id == Submission.student_id,
                          earlier.attempt < Submission.attempt, earlier.status.in_(SUBMITTED),
                          *period.where(func.coalesce(earlier.uploaded_at, earlier.created_at)))


def _repeats_in(user: User, scope: list, period: Period) -> dict[int, int]:
    """The definition, for any period: only second and later attempts are probed, a few percent
    of the rows, each from an index alone."""
    stmt = (select(Submission.assignment_id, func.count())
            .where(Submission.assignment_id.in_(_scoped_assignments(user, scope)), Submission.attempt > 1,
                   Submission.student_enrolled, Submission.status.in_(SUBMITTED), *period.where(SUBMITTED_AT),
                   _earlier_submitted(period))
            .group_by(Submission.assignment_id))
    return dict(db.session.execute(stmt).tuples().all())


def _repeats_all_time(user: User, scope: list, facts: list[_Fact]) -> dict[int, int]:
    """The same over all time, from the other side: a later attempt is a repeat unless every
    earlier attempt of the student failed (never reached Stream). Attempts are numbered 1, 2, 3
    without gaps (submissions.start_upload), so such a later attempt belongs to a student with a
    failed attempt: the few failed attempts are where to look, not the thousands of repeats."""
    failed = (select(Submission.assignment_id, Submission.student_id)
              .where(Submission.assignment_id.in_(_scoped_assignments(user, scope)),
                     Submission.status.in_(NOT_SUBMITTED))
              .distinct().subquery())
    first_real = (select(Submission.assignment_id, func.count())
                  .join(failed, and_(failed.c.assignment_id == Submission.assignment_id,
                                     failed.c.student_id == Submission.student_id))
                  .where(Submission.attempt > 1, Submission.student_enrolled, Submission.status.in_(SUBMITTED),
                         ~_earlier_submitted(Period()))
                  .group_by(Submission.assignment_id))
    not_repeats = dict(db.session.execute(first_real).tuples().all())
    later: dict[int, int] = {}
    for f in facts:
        later[f.assignment_id] = later.get(f.assignment_id, 0) + f.enrolled_resubmissions
    return {aid: n - not_repeats.get(aid, 0) for aid, n in later.items()}


def _courses_and_students(user: User, scope: list) -> dict[int, tuple[str, int]]:
    """Course id -> (name, enrolled students), in name order."""
    stmt = (select(Course.id, Course.fullname, func.count(Enrolment.id))
            .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.role == STUDENT))
            .where(Course.company_id.in_(_company_ids(user)), *scope)
            .group_by(Course.id, Course.fullname).order_by(Course.fullname, Course.id))
    return {cid: (name, n) for cid, name, n in db.session.execute(stmt)}


def _students_per_company(user: User, scope: list) -> dict[int, int]:
    # distinct: a student in two courses of a company is one student of it
    stmt = (select(Course.company_id, func.count(distinct(Enrolment.user_id)))
            .join(Course, Enrolment.course_id == Course.id)
            .where(Enrolment.role == STUDENT, Course.company_id.in_(_company_ids(user)), *scope)
            .group_by(Course.company_id))
    return dict(db.session.execute(stmt).tuples().all())


@dataclass
class _Pass:
    """The figures one report needs, fetched once and rolled up any way."""
    infos: list[_AssignmentInfo]
    facts: list[_Fact]
    repeats: dict[int, int]
    courses: dict[int, tuple[str, int]]
    cutoff: datetime

    @property
    def course_students(self) -> dict[int, int]:
        return {cid: n for cid, (_, n) in self.courses.items()}

    def course_rows(self) -> dict[int, ProgressRow]:
        return {cid: ProgressRow(cid, name) for cid, (name, _) in self.courses.items()}

    @cached_property     # the company page rolls it up twice: courses and summary
    def per_assignment(self) -> dict[int, ProgressRow]:
        rows = {i.id: ProgressRow(i.id, i.name, students=self.course_students.get(i.course_id, 0), assignments=1)
                for i in self.infos}
        info = {i.id: i for i in self.infos}
        for f in self.facts:
            row = rows.get(f.assignment_id)
            if row is None:
                continue
            for name in ADDITIVE:
                setattr(row, name, getattr(row, name) + getattr(f, name))
            due = info[f.assignment_id].due_at
            if due is None or due < self.cutoff:
                row.overdue += f.overdue_if_due_passed
        enrolled = {}
        for f in self.facts:
            enrolled[f.assignment_id] = enrolled.get(f.assignment_id, 0) + f.enrolled
        for aid, row in rows.items():
            submitted_students = enrolled.get(aid, 0) - self.repeats.get(aid, 0)
            row.not_submitted = max(0, row.students - submitted_students)
        return rows

    def rolled_up(self, key, seeds: dict[int, ProgressRow], students: dict[int, int]) -> list[ProgressRow]:
        """Assignment rows summed into `seeds` (courses or companies) by `key(info)`."""
        info = {i.id: i for i in self.infos}
        for aid, row in self.per_assignment.items():
            target = seeds.get(key(info[aid]))
            if target is None:
                continue
            for name in (*ADDITIVE, "assignments", "not_submitted", "overdue"):
                setattr(target, name, getattr(target, name) + getattr(row, name))
        for sid, row in seeds.items():
            row.students = students.get(sid, 0)
        return list(seeds.values())


def _plan_for_these_values() -> None:
    """psycopg prepares a statement from its fifth run, and PostgreSQL may then reuse one generic
    plan for any parameters; for the report's scans that plan is a third slower (measured with
    bench/company_report.py). Planning them for their values costs well under a millisecond."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _pass(user: User, scope: list, period: Period, now: datetime) -> _Pass:
    _plan_for_these_values()
    facts = _facts(user, scope, period, now)
    repeats = _repeats(user, scope, period, facts)
    return _Pass(_assignment_infos(user, scope), facts, repeats, _courses_and_students(user, scope),
                 now - REVIEW_WITHIN)


def _companies(user: User, company_id: Optional[int]) -> dict[int, ProgressRow]:
    q = authz.reportable_companies(user).order_by(Company.name, Company.id)
    if company_id is not None:
        q = q.where(Company.id == company_id)
    return {c.id: ProgressRow(c.id, c.name) for c in db.session.scalars(q)}


def companies_progress(user: User, period: Period, now: datetime,
                       company_id: Optional[int] = None) -> list[ProgressRow]:
    """One row per company the user may report on (the site admin's overview)."""
    scope = [Course.company_id == company_id] if company_id is not None else []
    figures = _pass(user, scope, period, now)
    return figures.rolled_up(lambda i: i.company_id, _companies(user, company_id),
                             _students_per_company(user, scope))


def company_summary(user: User, company: Company, period: Period, now: datetime) -> ProgressRow:
    rows = companies_progress(user, period, now, company.id)
    return rows[0] if rows else ProgressRow(company.id, company.name)


def courses_progress(user: User, company: Company, period: Period, now: datetime) -> list[ProgressRow]:
    figures = _pass(user, [Course.company_id == company.id], period, now)
    return figures.rolled_up(lambda i: i.course_id, figures.course_rows(), figures.course_students)


def assignments_progress(user: User, company: Company, course: Course, period: Period,
                         now: datetime) -> list[ProgressRow]:
    figures = _pass(user, [Course.company_id == company.id, Course.id == course.id], period, now)
    return list(figures.per_assignment.values())


@dataclass
class CompanyReport:
    summary: ProgressRow
    courses: list[ProgressRow]
    turnaround: list["TurnaroundRow"]


def company_report(user: User, company: Company, period: Period, now: datetime) -> CompanyReport:
    """The company page's tables from one pass: summary, courses, turnaround by teacher."""
    scope = [Course.company_id == company.id]
    figures = _pass(user, scope, period, now)
    courses = figures.rolled_up(lambda i: i.course_id, figures.course_rows(), figures.course_students)
    [summary] = figures.rolled_up(lambda i: i.company_id, {company.id: ProgressRow(company.id, company.name)},
                                  _students_per_company(user, scope))
    return CompanyReport(summary, courses, _turnaround_rows(figures))


# --- review status per student: the drill-down's last level and the batch export ------------

@dataclass
class StudentStatus:
    course: str
    assignment: str
    assignment_id: int
    due_at: Optional[datetime]
    student_id: int
    student: str
    username: str
    enrolled: bool
    attempts: int
    status: Optional[str]           # the latest attempt's video status; None: not submitted
    review_state: Optional[str]
    submitted_at: Optional[datetime]
    first_viewed_at: Optional[datetime]
    graded_at: Optional[datetime]
    graded_by: Optional[str]
    grade: Optional[object]
    overdue: bool = False

    @property
    def submitted(self) -> bool:
        return self.status is not None


def review_status(user: User, company: Company, period: Period, now: datetime, *,
                  course_id: Optional[int] = None, assignment_id: Optional[int] = None,
                  stream: bool = False) -> Iterator[StudentStatus]:
    """One row per (assignment, student): every enrolled student, and anyone who submitted
    though no longer enrolled, with their latest submission in the period.

    The statement is built now and the rows read lazily, so a streamed CSV can outlive the
    request's session: nothing but plain values is touched while it streams."""
    stmt = _review_status_statement(user, company, period, course_id, assignment_id)
    if stream:
        stmt = stmt.execution_options(yield_per=500)
    return _student_statuses(stmt, now - REVIEW_WITHIN)


def _review_status_statement(user: User, company: Company, period: Period,
                             course_id: Optional[int], assignment_id: Optional[int]) -> Select:
    in_scope = [Course.company_id == company.id, Course.company_id.in_(_company_ids(user))]
    if course_id is not None:
        in_scope.append(Course.id == course_id)
    if assignment_id is not None:
        in_scope.append(Assignment.id == assignment_id)
    in_period = [Submission.status.in_(SUBMITTED), *period.where(SUBMITTED_AT)]

    enrolled = (select(Assignment.id.label("aid"), Enrolment.user_id.label("uid"))
                .join(Course, Assignment.course_id == Course.id)
                .join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.role == STUDENT))
                .where(*in_scope))
    submitted = (select(Submission.assignment_id.label("aid"), Submission.student_id.label("uid"))
                 .join(Assignment, Submission.assignment_id == Assignment.id)
                 .join(Course, Assignment.course_id == Course.id).where(*in_scope, *in_period))
    slots = union(enrolled, submitted).subquery("slots")
    ranked = (select(Submission.assignment_id, Submission.student_id, Submission.status,
                     Submission.review_state, SUBMITTED_AT.label("submitted_at"),
                     Submission.first_viewed_at, Submission.graded_at, Submission.graded_by_id,
                     Submission.grade,
                     func.count().over(partition_by=(Submission.assignment_id, Submission.student_id))
                     .label("attempts"),
                     func.row_number().over(partition_by=(Submission.assignment_id, Submission.student_id),
                                            order_by=Submission.attempt.desc()).label("rn"))
              .join(Assignment, Submission.assignment_id == Assignment.id)
              .join(Course, Assignment.course_id == Course.id)
              .where(*in_scope, *in_period).subquery("ranked"))
    latest = select(ranked).where(ranked.c.rn == 1).subquery("latest")
    grader = User.__table__.alias("grader")
    is_enrolled = exists().where(Enrolment.user_id == slots.c.uid, Enrolment.course_id == Course.id,
                                 Enrolment.role == STUDENT)
    stmt = (select(Course.fullname, Assignment.name, Assignment.id, Assignment.due_at, User.id,
                   User.fullname, User.username, is_enrolled, latest.c.attempts, latest.c.status,
                   latest.c.review_state, latest.c.submitted_at, latest.c.first_viewed_at,
                   latest.c.graded_at, grader.c.fullname, latest.c.grade)
            .select_from(slots)
            .join(Assignment, Assignment.id == slots.c.aid)
            .join(Course, Assignment.course_id == Course.id)
            .join(User, User.id == slots.c.uid)
            .outerjoin(latest, and_(latest.c.assignment_id == slots.c.aid, latest.c.student_id == slots.c.uid))
            .outerjoin(grader, grader.c.id == latest.c.graded_by_id)
            .order_by(Course.fullname, Assignment.due_at, Assignment.name, Assignment.id,
                      User.fullname, User.id))
    return stmt


def _student_statuses(stmt: Select, cutoff: datetime) -> Iterator[StudentStatus]:
    for r in db.session.execute(stmt):
        row = StudentStatus(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), int(r[8] or 0),
                            *r[9:16])
        if row.status == VideoStatus.READY.value and row.review_state in AWAITING_REVIEW:
            due = max(row.submitted_at, row.due_at) if row.due_at else row.submitted_at
            row.overdue = due < cutoff
        yield row


# --- turnaround by teacher and course -------------------------------------------------------

@dataclass
class TurnaroundRow:
    course_id: int
    course: str
    teacher_id: Optional[int]     # None: submissions nobody has graded yet
    teacher: Optional[str]
    submissions: int
    viewed: int
    graded: int
    view_seconds: float
    grade_seconds: float

    @property
    def seconds_to_view(self) -> Optional[float]:
        return self.view_seconds / self.viewed if self.viewed else None

    @property
    def seconds_to_grade(self) -> Optional[float]:
        return self.grade_seconds / self.graded if self.graded else None


def _turnaround_rows(figures: _Pass) -> list[TurnaroundRow]:
    info = {i.id: i for i in figures.infos}
    rows: dict[tuple[int, Optional[int]], TurnaroundRow] = {}
    for f in figures.facts:
        course = info[f.assignment_id]
        row = rows.setdefault((course.course_id, f.graded_by_id),
                              TurnaroundRow(course.course_id, course.course, f.graded_by_id, None, 0, 0, 0, 0.0, 0.0))
        for name in ("submissions", "viewed", "graded", "view_seconds", "grade_seconds"):
            setattr(row, name, getattr(row, name) + getattr(f, name))
    teachers = {k[1] for k in rows if k[1] is not None}
    names = dict(db.session.execute(select(User.id, User.fullname).where(User.id.in_(teachers))).tuples().all()) \
        if teachers else {}
    for row in rows.values():
        row.teacher = names.get(row.teacher_id)
    return sorted(rows.values(), key=lambda r: (r.course, r.course_id, r.teacher is None, r.teacher or ""))


def turnaround(user: User, company: Company, period: Period, now: Optional[datetime] = None) -> list[TurnaroundRow]:
    """Submission to first view and to grade, per course and grading teacher."""
    now = now or datetime.now(timezone.utc)
    return _turnaround_rows(_pass(user, [Course.company_id == company.id], period, now))


# --- activity over time: submissions, grades and the review backlog --------------------------

@dataclass
class ActivityPoint:
    key: str            # the day, week (its Monday) or month ('2026-03')
    submitted: int
    graded: int
    backlog: int        # submitted by the end of the bucket and not graded by then


def chart_unit(period: Period, today: date) -> str:
    start = period.start or today - timedelta(days=365)
    span = ((period.end or today) - start).days
    return "day" if span <= 62 else "week" if span <= 400 else "month"


def bucket_key(day: date, unit: str) -> str:
    return day.strftime("%Y-%m") if unit == "month" else day.isoformat()


def activity(user: User, company: Company, period: Period, unit: str) -> list[ActivityPoint]:
    """One pass: submissions grouped by the bucket they arrived in and the bucket they were graded
    in. What happened before the period only sets the level the backlog starts from; grades after
    its end leave the submission in the backlog."""
    arrived = period_start(SUBMITTED_AT, unit)
    graded = period_start(Submission.graded_at, unit)
    if period.until:
        graded = case((Submission.graded_at < literal(period.until, UTCDateTime()), graded), else_=None)
    stmt = (select(arrived, graded, func.count())
            .select_from(Submission).join(Assignment, Submission.assignment_id == Assignment.id)
            .where(Assignment.course_id.in_(_scoped_courses(user, [Course.company_id == company.id])),
                   Submission.status.in_(SUBMITTED),
                   *([SUBMITTED_AT < literal(period.until, UTCDateTime())] if period.until else []))
            .group_by(arrived, graded))
    first = _key_of_start(period.start, unit) if period.start else None
    submitted_in: dict[str, int] = {}
    graded_in: dict[str, int] = {}
    for arrived_day, graded_day, n in db.session.execute(stmt):
        a = bucket_key(_as_date(arrived_day), unit)
        submitted_in[a] = submitted_in.get(a, 0) + n
        if graded_day is not None:
            g = bucket_key(_as_date(graded_day), unit)
            graded_in[g] = graded_in.get(g, 0) + n
    backlog, points = 0, []
    for key in sorted(set(submitted_in) | set(graded_in)):
        backlog += submitted_in.get(key, 0) - graded_in.get(key, 0)
        if first is None or key >= first:
            points.append(ActivityPoint(key, submitted_in.get(key, 0), graded_in.get(key, 0), backlog))
    return points


def _key_of_start(day: date, unit: str) -> str:
    if unit == "week":
        day = day - timedelta(days=day.weekday())
    return bucket_key(day, unit)


# --- usage and cost per month ------------------------------------------------------------------

@dataclass
class MonthUsage:
    month: str                      # 'YYYY-MM'
    stored_minutes: float           # the month's fullest day
    delivered_minutes: float        # the month's days added up
    last_day: Optional[date] = None
    course_id: Optional[int] = None
    course: Optional[str] = None


def company_usage_by_month(user: User, company: Company, period: Period) -> list[MonthUsage]:
    daily = (select(UsageDay.day.label("day"), func.sum(UsageDay.minutes_stored).label("stored"),
                    func.sum(UsageDay.minutes_delivered).label("delivered"))
             .join(Course, UsageDay.course_id == Course.id)
             .where(Course.company_id == company.id, Course.company_id.in_(_company_ids(user)),
                    *period.where_day(UsageDay.day))
             .group_by(UsageDay.day).subquery("daily"))
    month = period_start(daily.c.day, "month")
    stmt = (select(month, func.max(daily.c.stored), func.sum(daily.c.delivered), func.max(daily.c.day))
            .group_by(month).order_by(month))
    return [MonthUsage(bucket_key(_as_date(m), "month"), float(s or 0), float(d or 0), _as_date(last))
            for m, s, d, last in db.session.execute(stmt)]


def course_usage_by_month(user: User, company: Company, period: Period) -> list[MonthUsage]:
    month = period_start(UsageDay.day, "month")
    stmt = (select(month, func.max(UsageDay.minutes_stored), func.sum(UsageDay.minutes_delivered),
                   Course.id, Course.fullname)
            .join(Course, UsageDay.course_id == Course.id)
            .where(Course.company_id == company.id, Course.company_id.in_(_company_ids(user)),
                   *period.where_day(UsageDay.day))
            .group_by(month, Course.id, Course.fullname).order_by(month, Course.fullname, Course.id))
    return [MonthUsage(bucket_key(_as_date(m), "month"), float(s or 0), float(d or 0), course_id=cid, course=name)
            for m, s, d, cid, name in db.session.execute(stmt)]


def _as_date(value) -> Optional[date]:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])    # SQLite hands MAX(date) back as text
