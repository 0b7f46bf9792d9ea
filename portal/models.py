"""The data model (DESIGN.md, "Data model"). Constraints live in the schema, not only in code."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from flask_login import UserMixin
from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, Float,
                        ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, TypeDecorator,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: use aware UTC datetimes")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _check_in(column: str, enum_cls: type[enum.Enum]) -> CheckConstraint:
    values = ", ".join(f"'{m.value}'" for m in enum_cls)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return self.value


class MemberRole(StrEnum):
    MANAGER = "manager"
    MEMBER = "member"


class CourseRole(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"            # non-editing teacher: may grade
    EDITINGTEACHER = "editingteacher"


class VideoStatus(StrEnum):
    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    ERROR = "error"
    EXPIRED = "expired"
    DELETED = "deleted"


class ReviewState(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RESUBMIT = "resubmit"


UNLIMITED_ATTEMPTS = 1_000_000


class ReopenMethod(StrEnum):
    """Moodle's "Additional attempts" (attemptreopenmethod): how a new attempt is opened."""
    NONE = "none"                  # never: the student has one attempt (Moodle 4.3's default)
    MANUAL = "manual"              # when a teacher asks (addattempt), up to maxattempts
    UNTILPASS = "untilpass"        # by itself while the grade is below the grade to pass


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class Company(db.Model):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    moodle_id: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(255))
    shortname: Mapped[str] = mapped_column(String(100), default="")
    retention_days: Mapped[Optional[int]] = mapped_column(Integer)   # None: site default
    monthly_budget_cents: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    courses: Mapped[list["Course"]] = relationship(back_populates="company")
    __table_args__ = (
        CheckConstraint("retention_days IS NULL OR retention_days > 0", name="retention_positive"),
        CheckConstraint("monthly_budget_cents IS NULL OR monthly_budget_cents >= 0", name="budget_nonneg"),
    )


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    moodle_id: Mapped[int] = mapped_column(Integer, unique=True)
    username: Mapped[str] = mapped_column(String(100))
    fullname: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), default="")
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    roles_synced_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["CompanyMember"]] = relationship(back_populates="user",
                                                              cascade="all, delete-orphan")
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="user",
                                                         cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class CompanyMember(db.Model):
    __tablename__ = "company_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default=MemberRole.MEMBER.value)
    manager_type: Mapped[int] = mapped_column(Integer, default=0)  # IOMAD managertype

    user: Mapped[User] = relationship(back_populates="memberships")
    company: Mapped[Company] = relationship()
    __table_args__ = (UniqueConstraint("user_id", "company_id"), _check_in("role", MemberRole))


class Course(db.Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    moodle_id: Mapped[int] = mapped_column(Integer, unique=True)
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                      index=True)
    shortname: Mapped[str] = mapped_column(String(255))
    fullname: Mapped[str] = mapped_column(String(255))

    company: Mapped[Optional[Company]] = relationship(back_populates="courses")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="course")


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="enrolments")
    course: Mapped[Course] = relationship()
    __table_args__ = (UniqueConstraint("user_id", "course_id", "role"), _check_in("role", CourseRole))


class Assignment(db.Model):
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    moodle_id: Mapped[int] = mapped_column(Integer, unique=True)
    cmid: Mapped[int] = mapped_column(Integer, unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    intro: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cutoff_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    grade_max: Mapped[Decimal] = mapped_column(Numeric(10, 5), default=Decimal(100))
    max_bytes: Mapped[int] = mapped_column(BigInteger)
    max_minutes: Mapped[int] = mapped_column(Integer)
    # Moodle's maxattempts; its -1 ("unlimited") is UNLIMITED_ATTEMPTS here (NOT NULL since 0001,
    # and changing that would rebuild the table on SQLite). Read through services/attempts.py.
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    # Server default only: Moodle 4.3's default, until the roster reads the assignment.
    reopen_method: Mapped[str] = mapped_column(String(20), server_default=ReopenMethod.NONE.value)
    # The newest grade time read back from Moodle (mod_assign_get_grades' `since`).
    grades_read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    retention_days: Mapped[Optional[int]] = mapped_column(Integer)   # None: company or site default
    accepted_types: Mapped[str] = mapped_column(String(255), default="video/mp4,video/quicktime,video/webm,video/x-matroska")

    course: Mapped[Course] = relationship(back_populates="assignments")
    __table_args__ = (
        CheckConstraint("max_bytes > 0", name="max_bytes_positive"),
        CheckConstraint("max_minutes > 0", name="max_minutes_positive"),
        CheckConstraint("max_attempts > 0", name="max_attempts_positive"),
        _check_in("reopen_method", ReopenMethod),
        CheckConstraint("grade_max >= 0", name="grade_max_nonneg"),
        CheckConstraint("retention_days IS NULL OR retention_days > 0", name="retention_positive"),
    )


class Submission(db.Model):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # NULL while the attempt is reserved and Stream has not answered yet (see services/submissions).
    stream_uid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    upload_url: Mapped[Optional[str]] = mapped_column(String(1024))
    upload_length: Mapped[int] = mapped_column(BigInteger)
    upload_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(String(255), default="")
    fingerprint: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(20), default=VideoStatus.UPLOADING.value, index=True)
    error_code: Mapped[Optional[str]] = mapped_column(String(64))
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    duration_seconds: Mapped[Optional[float]] = mapped_column(Float)
    size_bytes: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    uploaded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    ready_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    delete_after: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    deleted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    review_state: Mapped[str] = mapped_column(String(20), default=ReviewState.NEW.value, index=True)
    grade: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 5))
    feedback: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    first_viewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Moodle opened a newer attempt after this one (a resubmission request it confirmed): Moodle
    # grades its latest attempt only, so no grade for this one may be sent any more.
    moodle_reopened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A grade given in Moodle's own grader, read back (grader = Moodle user id, time = Moodle's).
    moodle_grader_id: Mapped[Optional[int]] = mapped_column(Integer)
    moodle_graded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Whether the student is still enrolled as a student in the assignment's course: a copy of
    # the enrolments, kept by roster.refresh_student_enrolled whenever a user's enrolments are
    # rewritten, so that reports count "enrolled students who submitted" without joining the
    # enrolments once per submission (a third of the company report's time).
    student_enrolled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    assignment: Mapped[Assignment] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    graded_by: Mapped[Optional[User]] = relationship(foreign_keys=[graded_by_id])
    comments: Mapped[list["Comment"]] = relationship(back_populates="submission",
                                                     order_by="Comment.at_seconds",
                                                     cascade="all, delete-orphan")

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", "attempt"),
        _check_in("status", VideoStatus),
        _check_in("review_state", ReviewState),
        CheckConstraint("attempt > 0", name="attempt_positive"),
        CheckConstraint("upload_length > 0", name="upload_length_positive"),
        CheckConstraint("grade IS NULL OR grade >= 0", name="grade_nonneg"),
        # review_state last: the grading queue counts per (assignment, status, state) from the
        # index alone (services/grading.py, queue_for).
        Index("ix_submissions_assignment_status", "assignment_id", "status", "review_state"),
        # Second and later attempts, a few percent of the rows: reports count students who
        # submitted in a period by probing only these (services/reports.py, _repeats_in).
        Index("ix_submissions_later_attempts", "assignment_id",
              postgresql_where=text("attempt > 1"), sqlite_where=text("attempt > 1")),
        # ... and each probe for an earlier attempt is answered from this index alone (PostgreSQL).
        Index("ix_submissions_attempts_covering", "assignment_id", "student_id", "attempt",
              postgresql_include=["status", "uploaded_at", "created_at"]),
        # One unfinished upload per student and assignment, whatever races (issue 18.6).
        Index("uq_submissions_one_uploading", "assignment_id", "student_id", unique=True,
              postgresql_where=text("status = 'uploading'"), sqlite_where=text("status = 'uploading'")),
    )


class SubmissionTally(db.Model):
    """The submissions that reached Stream, counted per assignment, grader and UTC day of
    submission: what the company report sums instead of the submissions themselves.
    Written only by the database's triggers on submissions (migration 0004), in the writer's
    own transaction, so it is exact after any write; the portal only reads it."""

    __tablename__ = "submission_tallies"
    assignment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    grader_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: not graded
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    submissions: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer)          # by students still enrolled
    new: Mapped[int] = mapped_column(Integer)
    in_review: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    resubmit: Mapped[int] = mapped_column(Integer)
    resubmissions: Mapped[int] = mapped_column(Integer)     # attempt > 1
    enrolled_resubmissions: Mapped[int] = mapped_column(Integer)
    ready_awaiting: Mapped[int] = mapped_column(Integer)    # ready, new or in review
    viewed: Mapped[int] = mapped_column(Integer)
    graded: Mapped[int] = mapped_column(Integer)
    view_seconds: Mapped[float] = mapped_column(Float)      # sums: submission to first view
    grade_seconds: Mapped[float] = mapped_column(Float)     # and to grade


class Comment(db.Model):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="comments")
    author: Mapped[Optional[User]] = relationship()
    __table_args__ = (CheckConstraint("at_seconds >= 0", name="at_seconds_nonneg"),)


class OutboxMessage(db.Model):
    """A write to Moodle waiting to be sent; enqueued in the same transaction as the change."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"),
                                                         index=True)
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (
        _check_in("state", OutboxState),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )


class WebhookEvent(db.Model):
    __tablename__ = "webhook_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64), unique=True)   # replay / duplicate guard
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stream_uid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    state: Mapped[Optional[str]] = mapped_column(String(32))   # the video state the event carried
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)   # NULL: not applied yet
    error: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (
        # The worker's backlog (services/stream_events.py, apply_pending): only unapplied rows.
        Index("ix_webhook_events_pending", "id", postgresql_where=text("processed_at IS NULL"),
              sqlite_where=text("processed_at IS NULL")),
    )


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                      index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship()


class UsageDay(db.Model):
    """Minutes stored and delivered per course and day: the input of every cost figure.
    Per course rather than per company (DESIGN's first cut), so cost rolls up to both."""

    __tablename__ = "usage"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    minutes_stored: Mapped[float] = mapped_column(Float, default=0.0)
    minutes_delivered: Mapped[float] = mapped_column(Float, default=0.0)
    __table_args__ = (
        UniqueConstraint("course_id", "day"),
        CheckConstraint("minutes_stored >= 0 AND minutes_delivered >= 0", name="minutes_nonneg"),
    )


class LaunchNonce(db.Model):
    """The nonce of every sign-in link from Moodle that was used (portal/services/launch.py): a link
    signs in once. Kept until the link has expired, then purged."""

    __tablename__ = "launch_nonces"
    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    moodle_user_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageCollectedDay(db.Model):
    """When a day's usage was last filled, and whether its delivered minutes came from Stream's
    analytics: the worker fills every day not yet final again (back-fill), and only those."""

    __tablename__ = "usage_collected_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)


class UsageRun(db.Model):
    """One usage collection: when, which days, where delivered minutes came from (None: not read,
    `problem` says why). The cost pages show the last one."""

    __tablename__ = "usage_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    delivered_source: Mapped[Optional[str]] = mapped_column(String(80), nullable=True)
    problem: Mapped[Optional[str]] = mapped_column(String(500), nullable=True)


class StreamApiMinute(db.Model):
    """Requests the portal sent to Cloudflare's API per UTC minute, from every process, against
    the limit of 1,200 per 5 minutes per token."""

    __tablename__ = "stream_api_calls"
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)


class StreamPoll(db.Model):
    """When Stream was last asked about a video on behalf of a page poll, shared by every user
    and process: at most one question per video per interval."""

    __tablename__ = "stream_polls"
    stream_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(db.Model):
    """A signed-in browser's session, kept on the server (portal/sessions.py, Flask-Session): the
    cookie holds only its random id, so signing out ends it for every copy of the cookie."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
