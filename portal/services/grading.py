"""The teacher's queue and reviews. Every query starts from authz.gradable_submissions."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from .. import authz
from ..audit import record
from ..extensions import db
from ..models import (Assignment, Comment, Course, OutboxMessage, OutboxState, ReviewState,
                      Submission, User, VideoStatus, utcnow)
from . import sync

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


class BadFilter(ValueError):
    """A queue filter a person typed or bookmarked that makes no sense."""


class ReviewRejected(ValueError):
    """The review form cannot be saved as it is; the message says why."""


class ReviewConflict(Exception):
    """Someone else saved this submission since the form was loaded."""


def _int(args: Mapping[str, str], name: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BadFilter(f"'{name}' must be a number, got '{value}'.")
    return int(value)


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
            raise BadFilter(f"Unknown review state '{review}'.")
        video = args.get("video") or None
        if video and video not in SUBMITTED:
            raise BadFilter(f"Unknown video state '{video}'.")
        sort = args.get("sort") or "submitted"
        if sort not in SORTS:
            raise BadFilter(f"Unknown sort '{sort}'; use one of {', '.join(SORTS)}.")
        page = _int(args, "page") or 1
        return cls(course=_int(args, "course"), assignment=_int(args, "assignment"),
                   company=_int(args, "company"), review=review, video=video,
                   overdue=args.get("overdue") in ("1", "on", "true"), sort=sort, page=max(page, 1))

    def args(self, **changes) -> dict[str, str]:
        """Query arguments for a link that keeps every filter but `changes`."""
        f = replace(self, **changes)
        out = {k: str(v) for k, v in vars(f).items() if v not in (None, False, "")}
        out.pop("page", None) if f.page == 1 else None
        out.pop("sort", None) if f.sort == "submitted" else None
        if f.overdue:
            out["overdue"] = "1"
        return out


@dataclass
class QueuePage:
    rows: list[tuple[Submission, str]]         # submission, sync state
    total: int
    counts: dict[str, int]
    filters: QueueFilters
    courses: list[Course] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def sync_state_column():
    """The newest grade-sync row's state per submission: pending / done / dead, or none."""
    return (select(OutboxMessage.state)
            .where(OutboxMessage.submission_id == Submission.id, OutboxMessage.kind == sync.GRADE)
            .order_by(OutboxMessage.id.desc()).limit(1).correlate(Submission).scalar_subquery())


def _assignments_where(*conditions) -> Select:
    return select(Assignment.id).join(Assignment.course).where(*conditions)


def _filtered(user: User, f: QueueFilters, *, with_review: bool = True) -> Select:
    q = authz.gradable_submissions(user).where(Submission.status.in_(SUBMITTED))
    if f.course:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Course.id == f.course)))
    if f.assignment:
        q = q.where(Submission.assignment_id == f.assignment)
    if f.company:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Course.company_id == f.company)))
    if f.video:
        q = q.where(Submission.status == f.video)
    if f.overdue:
        q = q.where(Submission.assignment_id.in_(_assignments_where(Assignment.due_at < utcnow())),
                    Submission.review_state.in_((ReviewState.NEW.value, ReviewState.IN_REVIEW.value)))
    if with_review and f.review:
        q = q.where(Submission.review_state == f.review)
    return q


def queue_for(user: User, f: QueueFilters) -> QueuePage:
    # One GROUP BY gives the counts per state and, from them, the total under the filters.
    counts_q = (_filtered(user, f, with_review=False)
                .with_only_columns(Submission.review_state, func.count(Submission.id))
                .group_by(Submission.review_state))
    counts = {state: n for state, n in db.session.execute(counts_q)}
    total = counts.get(f.review, 0) if f.review else sum(counts.values())
    rows_q = (_filtered(user, f).join(Submission.assignment).join(Assignment.course).join(Submission.student)
              .add_columns(sync_state_column())
              .options(contains_eager(Submission.assignment).contains_eager(Assignment.course),
                       contains_eager(Submission.student))
              .order_by(*SORTS[f.sort]).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE))
    rows = [(sub, state or "") for sub, state in db.session.execute(rows_q)]
    # The filter menus: one query for the assignments with their courses, the courses from them.
    assignments = db.session.scalars(authz.graded_assignments(user).options(contains_eager(Assignment.course))
                                     .order_by(Assignment.name)).all()
    courses = sorted({a.course for a in assignments}, key=lambda c: c.fullname)
    return QueuePage(rows, total, counts, f, courses, assignments)


def sync_state_of(sub: Submission) -> str:
    return db.session.scalar(select(sync_state_column()).where(Submission.id == sub.id)) or ""


def open_review(user: User, submission_id: int) -> Submission:
    sub = authz.submission_or_404(user, submission_id, authz.Right.GRADE)
    if sub.first_viewed_at is None:
        sub.first_viewed_at = utcnow()
        if sub.review_state == ReviewState.NEW.value:
            sub.review_state = ReviewState.IN_REVIEW.value
        db.session.commit()
    return sub


def earlier_attempts(sub: Submission) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == sub.assignment_id, Submission.student_id == sub.student_id,
        Submission.id != sub.id).order_by(Submission.attempt.desc())))


def parse_grade(raw: str, grade_max: Decimal) -> Decimal | None:
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        grade = Decimal(raw)
    except InvalidOperation:
        raise ReviewRejected(f"'{raw}' is not a number.") from None
    if not grade.is_finite() or grade < 0 or grade > grade_max:
        raise ReviewRejected(f"The grade must be between 0 and {grade_max.normalize():f}.")
    if grade.as_tuple().exponent < -2:
        raise ReviewRejected("Use at most two decimals.")
    return grade


ACTIONS = {"save": None, "approve": ReviewState.APPROVED, "resubmit": ReviewState.RESUBMIT}


def save_review(user: User, sub: Submission, *, version: int, grade: str, feedback: str,
                action: str) -> Submission:
    """Save locally and queue the Moodle sync in the same transaction; never waits on Moodle."""
    if action not in ACTIONS:
        raise ReviewRejected(f"Unknown action '{action}'.")
    if version != sub.version:
        raise ReviewConflict()
    value = parse_grade(grade, sub.assignment.grade_max)
    if action == "approve" and value is None:
        raise ReviewRejected("Give a grade before approving.")
    if sub.status != VideoStatus.READY.value and action == "approve":
        raise ReviewRejected("Only a video that is ready can be approved.")
    sub.grade = value
    sub.feedback = (feedback or "").strip()
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
           review_state=sub.review_state)
    db.session.commit()
    return sub


def add_comment(user: User, sub: Submission, at_seconds: str, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ReviewRejected("Write a comment first.")
    try:
        at = float(at_seconds or 0)
    except ValueError:
        raise ReviewRejected("The time of a comment must be a number of seconds.") from None
    if at < 0 or (sub.duration_seconds and at > sub.duration_seconds + 1):
        raise ReviewRejected("The comment's time is outside the video.")
    comment = Comment(submission=sub, author_id=user.id, at_seconds=round(at, 1), body=body[:4000])
    db.session.add(comment)
    db.session.flush()
    if sub.graded_at is not None:    # already graded: Moodle's feedback text must follow
        sync.enqueue_grade(sub)
    record("review.comment", user, object_type="submission", object_id=sub.id, at_seconds=comment.at_seconds)
    db.session.commit()
    return comment


def retry_sync(user: User, sub: Submission) -> None:
    authz.submission_or_404(user, sub.id, authz.Right.GRADE)
    dead = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.state == OutboxState.DEAD.value)).all()
    for message in dead:
        message.state, message.attempts = OutboxState.PENDING.value, 0
        message.next_attempt_at, message.last_error = utcnow(), None
    record("sync.retry", user, object_type="submission", object_id=sub.id, rows=len(dead))
    db.session.commit()


def last_sync_error(sub: Submission) -> str | None:
    return db.session.scalar(select(OutboxMessage.last_error).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == sync.GRADE,
        OutboxMessage.state == OutboxState.DEAD.value).order_by(OutboxMessage.id.desc()).limit(1))
