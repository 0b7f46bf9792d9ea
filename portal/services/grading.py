"""The teacher's queue and reviews. Every query starts from authz.gradable_submissions."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Mapping

from sqlalchemy import Row, Select, case, func, select, update
from sqlalchemy.orm import contains_eager

from .. import authz, params
from ..audit import record
from ..extensions import db
from ..models import (Assignment, Comment, Company, Course, OutboxMessage, OutboxState, ReviewState,
                      Submission, User, VideoStatus, utcnow)
from . import attempts, outbox, sync

PAGE_SIZE = 25
SORTS = {
    "submitted": (Submission.uploaded_at.desc(), Submission.id.desc()),
    "oldest": (Submission.uploaded_at.asc(), Submission.id.asc()),
    "due": (Assignment.due_at.asc(), Submission.id.asc()),
    "student": (User.fullname.asc(), Submission.id.asc()),
}
# Uploads still under way or abandoned are not the teacher's concern.
SUBMITTED = (VideoStatus.PROCESSING.value, VideoStatus.READY.value, VideoStatus.ERROR.value,
             VideoStatus.DELETED.value)
TO_REVIEW = (ReviewState.NEW.value, ReviewState.IN_REVIEW.value)


class BadFilter(ValueError):
    """A queue filter a person typed or bookmarked that makes no sense."""


class ReviewRejected(ValueError):
    """The review form cannot be saved as it is; the message says why."""


class ReviewConflict(Exception):
    """Someone else saved this submission since the form was loaded."""


def _int(args: Mapping[str, str], name: str) -> int | None:
    try:
        return params.page_arg(args) if name == "page" else params.id_arg(args, name)
    except params.BadParam as exc:
        raise BadFilter(str(exc)) from None


@dataclass(frozen=True)
class QueueFilters:
    course: int | None = None
    assignment: int | None = None
    company: int | None = None
    review: str | None = None
    video: str | None = None
    overdue: bool = False
    sort: str = "submitted"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "QueueFilters":
        review = args.get("review") or None
        if review and review not in {s.value for s in ReviewState}:
            raise BadFilter(f"Unknown review state '{review[:20]}'.")
        video = args.get("video") or None
        if video and video not in SUBMITTED:
            raise BadFilter(f"Unknown video state '{video[:20]}'.")
        sort = args.get("sort") or "submitted"
        if sort not in SORTS:
            raise BadFilter(f"Unknown sort '{sort[:20]}'; use one of {', '.join(SORTS)}.")
        overdue = args.get("overdue") or ""
        if overdue not in ("", "0", "1", "on", "true"):
            raise BadFilter(f"'overdue' is on or off, got '{overdue[:20]}'.")
        page = _int(args, "page") or 1
        return cls(course=_int(args, "course"), assignment=_int(args, "assignment"),
                   company=_int(args, "company"), review=review, video=video,
                   overdue=overdue in ("1", "on", "true"), sort=sort, page=max(page, 1))

    def args(self, **changes) -> dict[str, str]:
        """Query arguments for a link that keeps every filter but `changes` (defaults left out, so
        the URL stays short and one state has one URL)."""
        f = replace(self, **changes)
        out = {k: str(v) for k, v in vars(f).items() if v not in (None, False, "")}
        if f.page == 1:
            out.pop("page")
        if f.sort == "submitted":
            out.pop("sort")
        if f.overdue:
            out["overdue"] = "1"
        return out


@dataclass
class QueuePage:
    rows: list[Row]                            # QueueRow columns, see _ROW_COLUMNS
    total: int                                 # rows under every filter
    counts: dict[str, int]                     # per review state, under every filter but review
    filters: QueueFilters
    courses: list[Course] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    to_review: dict[int, int] = field(default_factory=dict)   # assignment id -> new + in review

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def sync_state_column():
    """The newest grade-sync row's state per submission: pending / done / dead, or none."""
    return (select(OutboxMessage.state)
            .where(OutboxMessage.submission_id == Submission.id, OutboxMessage.kind == sync.GRADE)
            .order_by(OutboxMessage.id.desc()).limit(1).correlate(Submission).scalar_subquery())


# A queue line is plain columns, not ORM objects: the list is the hot path (bench/grading_queue.py).
_ROW_COLUMNS = (Submission.id, Submission.attempt, Submission.uploaded_at, Submission.status,
                Submission.review_state, Submission.grade, User.fullname.label("student"),
                Assignment.name.label("assignment"), Assignment.due_at.label("due_at"),
                Course.fullname.label("course"), sync_state_column().label("sync_state"))


def _assignments_where(*conditions) -> Select:
    return select(Assignment.id).join(Assignment.course).where(*conditions)


def _scoped(user: User, f: QueueFilters) -> Select:
    """The teacher's submissions under the assignment-level filters (course, assignment, company,
    overdue): the part the counts and the rows share."""
    q = authz.gradable_submissions(user)
    if f.course:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Course.id == f.course)))
    if f.assignment:
        q = q.where(Submission.assignment_id == f.assignment)
    if f.company:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Course.company_id == f.company)))
    if f.overdue:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Assignment.due_at < utcnow())),
                    Submission.review_state.in_(TO_REVIEW))
    return q


def queue_for(user: User, f: QueueFilters) -> QueuePage:
    """One page of the teacher's queue: three queries whatever the page size (no N+1)."""
    # 1. Counts per (assignment, video status, review state), read from the covering index
    #    ix_submissions_assignment_status; the video filter and the totals are summed here.
    statuses = {f.video} if f.video else set(SUBMITTED)
    counts: dict[str, int] = defaultdict(int)
    to_review: dict[int, int] = defaultdict(int)
    grouped = (_scoped(user, f).with_only_columns(Submission.assignment_id, Submission.status,
                                                  Submission.review_state, func.count())
               .group_by(Submission.assignment_id, Submission.status, Submission.review_state))
    for assignment_id, status, state, n in db.session.execute(grouped):
        if status in statuses:
            counts[state] += n
            if state in TO_REVIEW:
                to_review[assignment_id] += n
    total = counts.get(f.review, 0) if f.review else sum(counts.values())

    # 2. The page of rows, newest first by default, walking ix_submissions_uploaded_at.
    rows_q = (_scoped(user, f).where(Submission.status.in_(statuses))
              .join(Submission.assignment).join(Assignment.course).join(Submission.student)
              .with_only_columns(*_ROW_COLUMNS)
              .order_by(*SORTS[f.sort]).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE))
    if f.review:
        rows_q = rows_q.where(Submission.review_state == f.review)
    rows = list(db.session.execute(rows_q))

    # 3. The filter menus: the teacher's assignments with their courses and companies.
    assignments = db.session.scalars(
        authz.graded_assignments(user).outerjoin(Course.company)
        .options(contains_eager(Assignment.course).contains_eager(Course.company))
        .order_by(Assignment.name)).all()
    courses = sorted({a.course for a in assignments}, key=lambda c: c.fullname)
    companies = sorted({c.company for c in courses if c.company is not None}, key=lambda c: c.name)
    return QueuePage(rows, total, dict(counts), f, courses, assignments, companies, dict(to_review))


# An outbox state as the queue and the review pane name it.
SYNC_WORDS = {OutboxState.PENDING.value: "pending", OutboxState.DONE.value: "synced", OutboxState.DEAD.value: "failed"}


@dataclass(frozen=True)
class SyncStatus:
    """Where the submission's newest grade stands with Moodle, in words for the review pane."""
    state: str = ""                # "", pending, done, dead
    error: str | None = None
    attempts: int = 0

    @property
    def shown(self) -> str:
        return SYNC_WORDS.get(self.state, "not sent yet")


def sync_status_of(sub: Submission) -> SyncStatus:
    m = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == sync.GRADE)
        .order_by(OutboxMessage.id.desc()).limit(1)).first()
    if m is None:
        return SyncStatus()
    error = m.last_error if m.state != OutboxState.DONE.value else None
    return SyncStatus(m.state, error, m.attempts)


def open_review(sub: Submission) -> Submission:
    """A grader first plays `sub` (authorised by the caller through authz; a POST, never a GET):
    the review and the turnaround clock start."""
    if sub.first_viewed_at is None:
        # A Core UPDATE: the version (optimistic locking of the grade form) stays, so the form the
        # teacher already has open still saves; only the first of two racing plays counts.
        db.session.execute(update(Submission).where(Submission.id == sub.id, Submission.first_viewed_at.is_(None))
                           .values(first_viewed_at=utcnow(), review_state=case(
                               (Submission.review_state == ReviewState.NEW.value, ReviewState.IN_REVIEW.value),
                               else_=Submission.review_state)))
        db.session.commit()
    return sub


def earlier_attempts(sub: Submission) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == sub.assignment_id, Submission.student_id == sub.student_id,
        Submission.id != sub.id).order_by(Submission.attempt.desc())))


# What the portal keeps (and a textarea's maxlength says): longer text is refused with words, never cut.
FEEDBACK_MAX = 20000
COMMENT_MAX = 4000

GRADE_DECIMALS = 2      # what Moodle's gradebook shows by default; more would be rounded away there


def parse_grade(raw: str, grade_max: Decimal) -> Decimal | None:
    """The grade as typed, checked as Moodle will not: save_grades silently drops a grade above the
    maximum (recorded), so a bad grade must never reach the outbox."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not grade_max:
        raise ReviewRejected("This assignment has no points grade in Moodle (a scale, or no grade): "
                             "leave the grade empty and give feedback here.")
    # Plain decimals only ("85.5" or "85,5"): Decimal() would take "1e2" as 100 and "NaN".
    grade = params.plain_decimal(raw.removeprefix("-"))
    if grade is None:
        raise ReviewRejected(f"'{raw[:20]}' is not a number: type a grade such as 85 or 85,5.")
    if raw.startswith("-") or grade > grade_max:
        raise ReviewRejected(f"The grade must be between 0 and {grade_max.normalize():f}.")
    if grade.as_tuple().exponent < -GRADE_DECIMALS:
        raise ReviewRejected(f"Use at most {GRADE_DECIMALS} decimals.")
    return grade


ACTIONS = {"save": None, "approve": ReviewState.APPROVED, "resubmit": ReviewState.RESUBMIT}


def save_review(user: User, sub: Submission, *, version: int, grade: str, feedback: str,
                action: str) -> Submission:
    """Save locally and queue the Moodle sync in the same transaction; never waits on Moodle.
    `version` is the one the form was loaded with: another teacher's save in between is a
    ReviewConflict (checked here) or a StaleDataError (a save racing this one, caught at flush)."""
    if action not in ACTIONS:
        raise ReviewRejected(f"Unknown action '{action[:20]}'.")
    if version != sub.version:
        raise ReviewConflict()
    # Moodle grades its latest attempt only: a grade for an older one would overwrite it there.
    if (why := attempts.superseded_reason(sub)) is not None:
        raise ReviewRejected(why)
    if action == "resubmit" and (why := attempts.resubmission_blocker(sub)) is not None:
        raise ReviewRejected(why)
    feedback = (feedback or "").strip()
    if len(feedback) > FEEDBACK_MAX:
        raise ReviewRejected(f"The feedback is {len(feedback):,} characters long; the portal keeps at most "
                             f"{FEEDBACK_MAX:,}. Shorten it, then save again.")
    value = parse_grade(grade, sub.assignment.grade_max)
    if action == "approve" and value is None and sub.assignment.grade_max:
        raise ReviewRejected("Give a grade before approving.")
    if sub.status != VideoStatus.READY.value and action == "approve":
        raise ReviewRejected("Only a video that is ready can be approved.")
    sub.grade = value
    sub.feedback = feedback
    state = ACTIONS[action]
    if state is not None:
        sub.review_state = state.value
    elif sub.review_state == ReviewState.NEW.value:
        sub.review_state = ReviewState.IN_REVIEW.value
    sub.graded_by_id, sub.graded_at = user.id, utcnow()
    db.session.flush()               # bumps the version; a concurrent save fails here (StaleDataError)
    sync.enqueue_grade(sub)
    record(f"review.{action}", user, object_type="submission", object_id=sub.id,
           company_id=sub.assignment.course.company_id, grade=str(value) if value is not None else None,
           review_state=sub.review_state, version=sub.version)
    db.session.commit()
    return sub


def add_comment(user: User, sub: Submission, at_seconds: str, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ReviewRejected("Write a comment first.")
    if len(body) > COMMENT_MAX:
        raise ReviewRejected(f"The comment is {len(body):,} characters long; a comment can be at most "
                             f"{COMMENT_MAX:,}. Shorten it or split it in two.")
    try:
        at = float(at_seconds or 0)
    except ValueError:
        raise ReviewRejected("The time of a comment must be a number of seconds.") from None
    if not math.isfinite(at) or at < 0 or (sub.duration_seconds and at > sub.duration_seconds + 1):
        raise ReviewRejected("The comment's time is outside the video.")
    comment = Comment(submission=sub, author_id=user.id, at_seconds=round(at, 1), body=body)
    db.session.add(comment)
    db.session.flush()
    if sub.graded_at is not None and attempts.superseded_reason(sub) is None:
        sync.enqueue_grade(sub)      # already graded: Moodle's feedback text must follow
    record("review.comment", user, object_type="submission", object_id=sub.id,
           company_id=sub.assignment.course.company_id, at_seconds=comment.at_seconds)
    db.session.commit()
    return comment


def retry_sync(user: User, sub: Submission) -> int:
    """Send the submission's failed Moodle writes again. Only the newest grade is worth sending:
    an older one would overwrite it in Moodle (the worker skips superseded rows as well)."""
    authz.submission_or_404(user, sub.id, authz.Right.GRADE)
    dead = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.state == OutboxState.DEAD.value)
        .order_by(OutboxMessage.id.desc())).all()
    newest_grade = db.session.scalar(select(func.max(OutboxMessage.id)).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == sync.GRADE))
    retried = [m for m in dead if m.kind != sync.GRADE or m.id == newest_grade]
    for m in retried:
        outbox.requeue(m)
    record("sync.retry", user, object_type="submission", object_id=sub.id,
           company_id=sub.assignment.course.company_id, rows=len(retried))
    db.session.commit()
    return len(retried)
