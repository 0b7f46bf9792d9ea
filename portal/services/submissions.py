"""Submissions: reserving an attempt, creating its upload at Stream, and following the video's state.

No video byte comes here. The portal only checks the claims the browser makes (size, type,
duration), reserves the attempt, asks Stream for a tus upload URL on the student's behalf and
remembers it, so an interrupted upload can resume from any browser.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..extensions import db
from ..models import Assignment, CourseRole, Enrolment, Submission, User, VideoStatus, utcnow
from . import attempts as attempt_rules, outbox
from .stream import MAX_DURATION_SECONDS, MIN_SCHEDULED_DELETION, StreamClient, StreamError

log = logging.getLogger(__name__)

# Attempts that count against the assignment's limit: a video Stream could not process, or an
# upload that was abandoned, does not use one up.
COUNTED = (VideoStatus.UPLOADING.value, VideoStatus.PROCESSING.value, VideoStatus.READY.value,
           VideoStatus.DELETED.value)
TERMINAL = (VideoStatus.DELETED.value, VideoStatus.EXPIRED.value)
# Stream keeps an unfinished tus upload this long (its maximum for creator uploads).
UPLOAD_WINDOW = timedelta(hours=6)
# Stream's own scheduled deletion is a backstop a week after the portal's retention date, and
# never sooner than Stream accepts (30 days after upload; a day's margin for the clocks). The
# portal's retention job deletes on the retention date itself, however short.
BACKSTOP = timedelta(days=7)
BACKSTOP_MIN = MIN_SCHEDULED_DELETION + timedelta(days=1)
ERROR_HELP = {
    "ERR_NON_VIDEO": "The file is not a video Stream can read. Export it again as MP4 (H.264) and upload that file.",
    "ERR_DURATION_EXCEED_CONSTRAINT": "The video is longer than this assignment allows. Trim it and upload again.",
}


# The names people know the accepted containers by (the file picker still filters by MIME type).
TYPE_NAMES = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/webm": "WebM", "video/x-matroska": "MKV",
              "video/x-msvideo": "AVI", "video/3gpp": "3GP", "video/mpeg": "MPEG"}


def type_names(accepted_types: str) -> str:
    """'video/mp4,video/quicktime' -> 'MP4, MOV'."""
    types = [t.strip() for t in accepted_types.split(",") if t.strip()]
    return ", ".join(TYPE_NAMES.get(t, t.split("/")[-1].upper()) for t in types)


class UploadRefused(Exception):
    """The upload may not start; `status` is the HTTP status, `message` is for the student."""

    def __init__(self, status: int, message: str, submission: Submission | None = None):
        super().__init__(message)
        self.status, self.message, self.submission = status, message, submission


@dataclass(frozen=True)
class UploadClaim:
    """What the browser says about the file; checked here again, never trusted."""
    length: int
    filename: str
    filetype: str
    duration_seconds: float | None
    fingerprint: str


def settings():
    return current_app.config["SETTINGS"]


def retention_days(assignment: Assignment) -> int:
    company = assignment.course.company
    return (assignment.retention_days or (company.retention_days if company else None)
            or settings().retention_days)


def attempts(student: User, assignment: Assignment) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id)
        .order_by(Submission.attempt.desc())))


def attempts_used(student: User, assignment: Assignment) -> int:
    return db.session.scalar(select(func.count(Submission.id)).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id,
        Submission.status.in_(COUNTED))) or 0


def latest_counted(student: User, assignment: Assignment) -> Submission | None:
    """The student's newest attempt that counts (not failed, not abandoned)."""
    return db.session.scalar(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id,
        Submission.status.in_(COUNTED)).order_by(Submission.attempt.desc()).limit(1))


def in_flight(student: User, assignment: Assignment) -> Submission | None:
    return db.session.scalar(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id,
        Submission.status == VideoStatus.UPLOADING.value))


def closed_reason(assignment: Assignment, now: datetime) -> str | None:
    if assignment.opens_at and now < assignment.opens_at:
        return f"This assignment opens on {assignment.opens_at:%d %b %Y %H:%M} UTC."
    if assignment.cutoff_at and now > assignment.cutoff_at:
        return "This assignment no longer accepts submissions (the cut-off date has passed)."
    return None


def late_notice(assignment: Assignment, now: datetime) -> str | None:
    """What a student uploading after the due date (and before any cut-off) is told first."""
    if not assignment.due_at or now <= assignment.due_at:
        return None
    until = (f" until {assignment.cutoff_at:%d %b %Y %H:%M} UTC" if assignment.cutoff_at else "")
    return (f"The due date was {assignment.due_at:%d %b %Y %H:%M} UTC. You can still upload{until}, "
            f"but your teacher will see the video as late.")


def lateness(handed_in: datetime | None, due: datetime | None) -> str | None:
    """'late by 2 h' when a video was handed in (its upload finished) after the due date, as Moodle
    counts a late submission; None when on time, not handed in yet, or there is no due date."""
    if due is None or handed_in is None or handed_in <= due:
        return None
    return human_lateness(handed_in - due)


def human_lateness(late: timedelta) -> str:
    """'late by 2 h', 'late by 3 days', 'late by 25 min': the unit a teacher reads at a glance."""
    minutes = max(1, int(late.total_seconds() // 60))
    if minutes < 60:
        return f"late by {minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"late by {hours} h"
    return f"late by {hours // 24} days"


def check_claim(assignment: Assignment, claim: UploadClaim) -> None:
    if claim.length <= 0:
        raise UploadRefused(400, "The file is empty.")
    if claim.length > assignment.max_bytes:
        raise UploadRefused(413, f"The file is {human_size(claim.length)}; this assignment accepts "
                                 f"videos up to {human_size(assignment.max_bytes)}.")
    accepted = [t.strip() for t in assignment.accepted_types.split(",") if t.strip()]
    if claim.filetype not in accepted:
        raise UploadRefused(415, f"'{claim.filename}' is not an accepted video type "
                                 f"({type_names(assignment.accepted_types)}). Export it as MP4 and try again.")
    if claim.duration_seconds is None or claim.duration_seconds <= 0:
        raise UploadRefused(422, "The video's length could not be read. Try another browser, or "
                                 "export the video as MP4.")
    if claim.duration_seconds > assignment.max_minutes * 60:
        raise UploadRefused(422, f"The video is {claim.duration_seconds / 60:.1f} minutes long; this "
                                 f"assignment accepts up to {assignment.max_minutes} minutes.")


def stream_max_duration(assignment: Assignment) -> int:
    """Stream's maxDurationSeconds for the upload: the assignment's limit, at most Stream's 21,600 s
    (check_claim has already refused a longer video by the assignment's own limit)."""
    return max(1, min(assignment.max_minutes * 60, MAX_DURATION_SECONDS))


def stream_scheduled_deletion(assignment: Assignment, now: datetime) -> datetime:
    """Stream's own deletion date, a backstop behind the portal's retention job."""
    return now + max(timedelta(days=retention_days(assignment)) + BACKSTOP, BACKSTOP_MIN)


def lock_attempts(student: User, assignment: Assignment) -> None:
    """Serialise upload creations of one student for one course until the reservation commits, so
    the attempts counted below are still the attempts when the new one is added (issue 18.6: thirty
    parallel creations gave attempts 1-4). A no-op write to the student's enrolment, the first
    statement of a fresh transaction: a row lock on PostgreSQL, the write lock on SQLite (taken
    before any read, so no stale snapshot has to be upgraded). The partial unique index
    uq_submissions_one_uploading backs "one unfinished upload" in the schema itself."""
    db.session.commit()                        # end the view's read transaction; nothing is pending
    db.session.execute(update(Enrolment).where(
        Enrolment.user_id == student.id, Enrolment.course_id == assignment.course_id,
        Enrolment.role == CourseRole.STUDENT.value).values(role=Enrolment.role))


def start_upload(student: User, assignment: Assignment, claim: UploadClaim,
                 stream: StreamClient) -> Submission:
    """Reserve the attempt, create the upload at Stream, remember its URL. Idempotent: a repeated
    request for the same file returns the same submission, never a second Stream video."""
    now = utcnow()
    lock_attempts(student, assignment)
    current = in_flight(student, assignment)
    if current is not None:
        if current.fingerprint == claim.fingerprint and current.upload_url:
            return current
        raise UploadRefused(409, "Another upload for this assignment is in progress. Resume it by "
                                 "picking the same file, or cancel it first.", current)
    reason = closed_reason(assignment, now)
    if reason:
        raise UploadRefused(403, reason)
    check_claim(assignment, claim)
    used = attempts_used(student, assignment)
    allowed = attempt_rules.allowed(assignment)
    if allowed is not None and used >= allowed:
        raise UploadRefused(403, f"You have used all {allowed} attempt(s) Moodle allows for this assignment.")
    if (why := attempt_rules.new_attempt_blocker(assignment, latest_counted(student, assignment))) is not None:
        raise UploadRefused(403, why)
    last = db.session.scalar(select(func.max(Submission.attempt)).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student.id)) or 0

    sub = Submission(assignment=assignment, student=student, attempt=last + 1,
                     upload_length=claim.length, filename=claim.filename[:255],
                     fingerprint=claim.fingerprint[:128], status=VideoStatus.UPLOADING.value,
                     upload_expires_at=now + UPLOAD_WINDOW)
    db.session.add(sub)
    try:
        db.session.commit()        # the reservation: a second tab or a double click stops here
    except IntegrityError:
        db.session.rollback()
        current = in_flight(student, assignment)
        if current is not None and current.fingerprint == claim.fingerprint and current.upload_url:
            return current
        raise UploadRefused(409, "This upload is being prepared in another tab; try again in a moment.",
                            current) from None

    s = settings()
    try:
        upload = stream.create_tus_upload(
            upload_length=claim.length, creator=str(student.moodle_id), name=claim.filename,
            max_duration_seconds=stream_max_duration(assignment), require_signed_urls=True,
            allowed_origins=(s.base_url.split("://", 1)[1],),
            scheduled_deletion=stream_scheduled_deletion(assignment, now),
            expiry=now + UPLOAD_WINDOW)
    except StreamError:
        db.session.delete(sub)     # nothing half-created: the attempt is free again
        db.session.commit()
        raise
    sub.stream_uid, sub.upload_url = upload.uid, upload.upload_url
    record("upload.start", student, object_type="submission", object_id=sub.id,
           company_id=assignment.course.company_id, uid=upload.uid, attempt=sub.attempt,
           bytes=claim.length)
    db.session.commit()
    return sub


def cancel_upload(student: User, sub: Submission, stream: StreamClient) -> None:
    """Give up an unfinished upload: deleted at Stream, the attempt freed."""
    if sub.student_id != student.id:
        raise UploadRefused(404, "Not found.")
    if sub.status == VideoStatus.UPLOADING.value and refresh_from_stream(sub, stream):
        db.session.commit()        # it finished (in another tab) before the webhook told us
    if sub.status != VideoStatus.UPLOADING.value:
        done = sub.status not in TERMINAL and sub.status != VideoStatus.ERROR.value
        raise UploadRefused(409, "This upload had already finished, so there was nothing to cancel; it is "
                                 "listed under Your submissions." if done else
                                 "This upload had already stopped; there is nothing left to cancel.")
    if sub.stream_uid:
        try:
            stream.delete_video(sub.stream_uid)
        except StreamError as exc:
            if getattr(exc, "status", None) != 404:
                raise
    record("upload.cancel", student, object_type="submission", object_id=sub.id, uid=sub.stream_uid)
    sub.status = VideoStatus.EXPIRED.value
    sub.error_message = "Cancelled by the student."
    db.session.commit()


# --- following the video at Stream ------------------------------------------------------------

def _rank(status: str) -> int:
    return {VideoStatus.UPLOADING.value: 0, VideoStatus.PROCESSING.value: 1}.get(status, 2)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def apply_video(sub: Submission, video: Mapping[str, Any]) -> bool:
    """Move the submission to what Stream says, never backwards (events can arrive out of order
    or twice). Returns True when something changed. The caller commits."""
    if sub.status in TERMINAL:
        return False
    state = (video.get("status") or {}).get("state", "")
    new = {"pendingupload": VideoStatus.UPLOADING, "downloading": VideoStatus.PROCESSING,
           "queued": VideoStatus.PROCESSING, "inprogress": VideoStatus.PROCESSING,
           "ready": VideoStatus.READY, "error": VideoStatus.ERROR}.get(state)
    if new is None or _rank(new.value) < _rank(sub.status) or new.value == sub.status:
        return False
    if _rank(sub.status) == 2:       # ready and error are final at Stream
        return False
    now = utcnow()
    sub.status = new.value
    if new in (VideoStatus.PROCESSING, VideoStatus.READY, VideoStatus.ERROR) and sub.uploaded_at is None:
        sub.uploaded_at = _parse_time(video.get("uploaded")) or now
    if new is VideoStatus.READY:
        duration = video.get("duration")
        sub.duration_seconds = float(duration) if duration and duration > 0 else sub.duration_seconds
        sub.size_bytes = video.get("size") or sub.upload_length
        sub.ready_at = now
        sub.delete_after = sub.uploaded_at + timedelta(days=retention_days(sub.assignment))
        sub.upload_url = None          # nothing left to resume
        record_video_in_moodle(sub)
    elif new is VideoStatus.ERROR:
        status = video.get("status") or {}
        sub.error_code = status.get("errorReasonCode") or "ERR_UNKNOWN"
        sub.error_message = ERROR_HELP.get(sub.error_code) or status.get("errorReasonText") or \
            "Stream could not process this video. Please upload it again."
    return True


def record_video_in_moodle(sub: Submission) -> None:
    """Queue the video record for Moodle's companion plugin, in the caller's transaction."""
    a = sub.assignment
    outbox.enqueue(db.session, "record_video", f"record_video:{sub.stream_uid}", {
        "assignmentid": a.moodle_id, "userid": sub.student.moodle_id, "streamuid": sub.stream_uid,
        "portalsubmissionid": f"sub-{sub.id}", "status": "ready",
        "durationseconds": sub.duration_seconds or 0, "sizebytes": sub.size_bytes or sub.upload_length,
        "uploadedat": int(sub.uploaded_at.timestamp()),
        "deleteafter": int(sub.delete_after.timestamp()) if sub.delete_after else 0,
        # Not a record_video parameter: the worker sends it with set_video_status right after.
        "readyat": int(sub.ready_at.timestamp()) if sub.ready_at else 0,
    }, submission_id=sub.id)


def refresh_from_stream(sub: Submission, stream: StreamClient) -> bool:
    """Ask Stream about one submission (page poll, reconciler). The caller commits."""
    if not sub.stream_uid or sub.status in TERMINAL or _rank(sub.status) == 2:
        return False
    try:
        video = stream.get_video(sub.stream_uid)
    except StreamError as exc:
        if getattr(exc, "status", None) == 404 and sub.status == VideoStatus.UPLOADING.value:
            return expire(sub, "The upload was not finished in time and Stream discarded it.")
        raise
    changed = apply_video(sub, video)
    if (not changed and sub.status == VideoStatus.UPLOADING.value and sub.upload_expires_at
            and utcnow() > sub.upload_expires_at):
        return expire(sub, "The upload was not finished in time.")
    return changed


def expire(sub: Submission, why: str) -> bool:
    sub.status = VideoStatus.EXPIRED.value
    sub.error_message = why
    sub.upload_url = None
    return True


def human_size(n: float) -> str:
    """A size as Moodle's display_size() shows it (1024-based, labelled KB/MB/GB), so the limit
    read here is the one on the Moodle assignment page: 5 GB, not 5.4 GB. static/js/upload.js agrees."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            break
        n /= 1024
    if unit == "bytes":
        return f"{n:,.0f} bytes"
    return f"{n:,.1f}".removesuffix(".0") + f" {unit}"
