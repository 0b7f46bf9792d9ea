"""Where each person starts: a student's assignments with where each one stands and what to do
next; everyone else goes straight to their work (queue, reports, operations)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import authz
from ..extensions import db
from ..models import Assignment, Course, ReviewState, Submission, User, VideoStatus
from .submissions import closed_reason


@dataclass(frozen=True)
class AssignmentState:
    """One line of a student's home: the assignment, the attempt that counts, and in words where it
    stands and the next thing to do (a label and where it leads)."""
    assignment: Assignment
    submission: Submission | None
    state: str               # css class and test hook: not_submitted, uploading, processing, ready, ...
    words: str               # what the student reads
    action: str | None       # the next step's label, or None when there is nothing to do
    action_target: str       # "assignment" (upload page) or "watch"
    late: bool
    overdue: bool            # nothing submitted and the due date has passed


def _latest(subs: list[Submission]) -> Submission | None:
    """The attempt that says where the student stands: the newest one not abandoned."""
    live = [s for s in subs if s.status != VideoStatus.EXPIRED.value]
    return max(live, key=lambda s: s.attempt) if live else None


def points(value) -> str:
    """A grade stored as Numeric(10, 5) as a person writes it: 88.5, not 88.50000 (also a filter)."""
    if value is None:
        return ""
    return f"{value.normalize():f}" if hasattr(value, "normalize") else f"{value:g}"


def _grade(sub: Submission) -> str:
    return f"{points(sub.grade)} / {points(sub.assignment.grade_max)}"


def state_of(assignment: Assignment, subs: list[Submission], now: datetime) -> AssignmentState:
    sub = _latest(subs)
    closed = closed_reason(assignment, now)
    used = sum(1 for s in subs if s.status not in (VideoStatus.EXPIRED.value, VideoStatus.ERROR.value))
    can_upload = closed is None and used < assignment.max_attempts
    upload = "Upload your video" if can_upload else None
    due = assignment.due_at
    late = bool(sub and due and sub.uploaded_at and sub.uploaded_at > due)
    overdue = bool(sub is None and due and now > due)

    def line(state, words, action=None, target="assignment"):
        return AssignmentState(assignment, sub, state, words, action, target, late, overdue)

    if sub is None:
        if closed:
            return line("closed", "Not submitted; " + closed[0].lower() + closed[1:])
        return line("not_submitted", "Not submitted yet", upload)
    status, review = sub.status, sub.review_state
    if status == VideoStatus.UPLOADING.value:
        return line("uploading", "Upload not finished", "Resume the upload")
    if status == VideoStatus.PROCESSING.value:
        return line("processing", "Uploaded; Stream is preparing the video", "Check on it")
    if status == VideoStatus.ERROR.value:
        return line("error", "Stream could not process the video", "Upload it again" if can_upload else None)
    if status == VideoStatus.DELETED.value:
        words = "Removed after the retention period"
        if review == ReviewState.APPROVED.value and sub.grade is not None:
            words = f"Graded {_grade(sub)}; the video was removed after the retention period"
        return line("deleted", words)
    # ready
    if review == ReviewState.APPROVED.value:
        words = f"Graded {_grade(sub)}" if sub.grade is not None else "Approved by your teacher"
        return line("graded", words, "See the feedback", "watch")
    if review == ReviewState.RESUBMIT.value:
        return line("resubmit", "Your teacher asks for a new video",
                    "Upload a new video" if can_upload else None)
    return line("ready", "Submitted; waiting for your teacher", "Watch your video", "watch")


def student_home(user: User, now: datetime) -> list[AssignmentState]:
    """Every assignment the student may submit to, with its state: two queries, both scoped."""
    assignments = db.session.scalars(
        authz.submittable_assignments(user).join(Assignment.course)
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Course.fullname, Assignment.name)).all()
    if not assignments:
        return []
    subs: dict[int, list[Submission]] = {}
    own = authz.visible_submissions(user).where(
        Submission.student_id == user.id, Submission.assignment_id.in_([a.id for a in assignments]))
    for s in db.session.scalars(own):
        subs.setdefault(s.assignment_id, []).append(s)
    return [state_of(a, subs.get(a.id, []), now) for a in assignments]


def landing_endpoint(user: User, blueprints) -> str | None:
    """Where someone who is not a student starts: their own work, not an empty welcome."""
    if user.is_site_admin and "admin" in blueprints:
        return "admin.dashboard"
    # IOMAD enrols company managers in every company course with a role that may grade
    # (companycourseeditor): their own work is still the company's report; the queue is in the menu.
    if authz.is_manager(user) and "reports" in blueprints:
        return "reports.index"
    if authz.is_teacher(user) and "grading" in blueprints:
        return "grading.queue"
    return None

