"""Retention: videos are deleted at Stream when their time comes (90 days after upload unless the
assignment or company says otherwise), unless a legal hold stops it. The submission's facts,
grade and comments stay; a receipt goes to the audit log. Stream's own scheduledDeletion, set at
creation a week later (31 days ahead at least, as Stream requires), is only a backstop; a legal
hold lifts it at Stream, so the hold, not the backstop, decides."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from ..audit import record
from ..extensions import db
from ..models import AuditEntry, Submission, VideoStatus, utcnow
from . import outbox
from .stream import StreamClient, StreamError, StreamNotFound

WARN_BEFORE = timedelta(days=7)
DELETABLE = (VideoStatus.READY.value, VideoStatus.ERROR.value, VideoStatus.PROCESSING.value)


@dataclass
class RetentionRun:
    dry_run: bool
    deleted: list[Submission] = field(default_factory=list)
    held: list[Submission] = field(default_factory=list)
    failed: list[tuple[Submission, str]] = field(default_factory=list)
    warned: list[Submission] = field(default_factory=list)


def due(now: datetime) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.delete_after <= now, Submission.status.in_(DELETABLE),
        Submission.stream_uid.is_not(None)).order_by(Submission.delete_after)))


def upcoming(now: datetime, within: timedelta = WARN_BEFORE) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.delete_after > now, Submission.delete_after <= now + within,
        Submission.status.in_(DELETABLE), Submission.legal_hold.is_(False)).order_by(Submission.delete_after)))


def held(now: datetime) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(
        Submission.legal_hold.is_(True), Submission.status.in_(DELETABLE),
        Submission.stream_uid.is_not(None)).order_by(Submission.id)))


def _lift_backstop(stream: StreamClient, sub: Submission, result: "RetentionRun") -> None:
    """Stream would delete a held video at its scheduledDeletion: remove it (openapi-stream.json,
    stream_scheduledDeletion: "include with a null value to remove an existing scheduled deletion").
    Every run, so a hold placed while Stream was away still reaches it."""
    try:
        stream.update_video(sub.stream_uid, scheduledDeletion=None)
    except StreamNotFound:
        pass
    except StreamError as exc:
        result.failed.append((sub, f"legal hold not passed to Stream: {exc}"))


def _warned_already(sub: Submission) -> bool:
    return db.session.scalar(select(exists().where(
        AuditEntry.action == "retention.warning", AuditEntry.object_type == "submission",
        AuditEntry.object_id == str(sub.id)))) or False


def run(stream: StreamClient, *, now: datetime | None = None, dry_run: bool = False,
        notify=None) -> RetentionRun:
    """Delete what is due; `notify(sub)` is called once per video about to go (e-mail)."""
    now = now or utcnow()
    result = RetentionRun(dry_run)
    for sub in upcoming(now):
        if not _warned_already(sub):
            result.warned.append(sub)
            if not dry_run:
                if notify:
                    notify(sub)
                record("retention.warning", None, object_type="submission", object_id=sub.id,
                       company_id=sub.assignment.course.company_id, delete_after=sub.delete_after.isoformat())
    if not dry_run:
        for sub in held(now):
            _lift_backstop(stream, sub, result)
    for sub in due(now):
        if sub.legal_hold:
            result.held.append(sub)
            continue
        if dry_run:
            result.deleted.append(sub)
            continue
        try:
            stream.delete_video(sub.stream_uid)
        except StreamNotFound:
            pass                          # the backstop got there first: still record it
        except StreamError as exc:
            result.failed.append((sub, str(exc)))
            continue
        sub.status, sub.deleted_at, sub.upload_url = VideoStatus.DELETED.value, now, None
        record("retention.delete", None, object_type="submission", object_id=sub.id,
               company_id=sub.assignment.course.company_id, uid=sub.stream_uid,
               delete_after=sub.delete_after.isoformat(), duration_seconds=sub.duration_seconds)
        outbox.enqueue(db.session, "video_status", f"video_status:{sub.stream_uid}:deleted",
                       {"streamuid": sub.stream_uid, "status": "deleted"}, submission_id=sub.id)
        result.deleted.append(sub)
        db.session.commit()               # one video at a time: a crash never loses a receipt
    if not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def set_legal_hold(actor, sub: Submission, hold: bool, reason: str) -> None:
    sub.legal_hold = hold
    record("retention.hold" if hold else "retention.release", actor, object_type="submission",
           object_id=sub.id, company_id=sub.assignment.course.company_id, reason=reason)
    db.session.commit()
