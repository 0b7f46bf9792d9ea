"""What each outbox message does in Moodle.

Grades: the newest saved version of each submission is sent with mod_assign_save_grades, one call
per assignment for a whole batch. Moodle validates almost nothing there (contract, recorded), so
the portal validated the grade before queueing it. Video records go through the companion plugin;
where it is not installed they are skipped and grades still sync.
"""
from __future__ import annotations

import html
from collections import defaultdict
from typing import Iterable

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models import OutboxMessage, OutboxState, ReviewState, Submission, utcnow
from . import outbox
from .moodle import GradeUpdate, MoodleClient, MoodleUnknownFunction

GRADE = "grade"
RECORD_VIDEO = "record_video"
VIDEO_STATUS = "video_status"


def timecode(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def feedback_html(sub: Submission, base_url: str) -> str:
    """Feedback text for Moodle: the teacher's words, then each time-coded comment as a link that
    opens the portal player at that second."""
    parts = [f"<p>{html.escape(line)}</p>" for line in sub.feedback.splitlines() if line.strip()]
    if sub.comments:
        items = "".join(
            f'<li><a href="{base_url}/grading/{sub.id}?t={int(c.at_seconds)}">{timecode(c.at_seconds)}</a> '
            f"{html.escape(c.body)}</li>" for c in sub.comments)
        parts.append(f"<p>Comments on the video:</p><ul>{items}</ul>")
    return "".join(parts)


def enqueue_grade(sub: Submission) -> OutboxMessage:
    """Queue the submission's current grade; older unsent versions are superseded."""
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == GRADE,
        OutboxMessage.state == OutboxState.PENDING.value).values(
        state=OutboxState.DONE.value, last_error="superseded by a newer save", sent_at=utcnow()))
    base_url = current_app.config["SETTINGS"].base_url
    payload = {
        "assignmentid": sub.assignment.moodle_id, "userid": sub.student.moodle_id,
        "grade": float(sub.grade) if sub.grade is not None else -1.0,
        "feedback_html": feedback_html(sub, base_url),
        "addattempt": sub.review_state == ReviewState.RESUBMIT.value,
    }
    key = f"grade:{sub.id}:v{sub.version}:c{len(sub.comments)}"
    return outbox.enqueue(db.session, GRADE, key, payload, submission_id=sub.id)


def send(moodle: MoodleClient, messages: Iterable[OutboxMessage]) -> None:
    """Send claimed messages; raises MoodleError for the whole group that failed."""
    grades: dict[int, list[OutboxMessage]] = defaultdict(list)
    for m in messages:
        if m.kind == GRADE:
            grades[m.payload["assignmentid"]].append(m)
        elif m.kind in (RECORD_VIDEO, VIDEO_STATUS):
            try:
                if m.kind == RECORD_VIDEO:
                    moodle.record_video(**m.payload)
                else:
                    moodle.set_video_status(**m.payload)
            except MoodleUnknownFunction:
                m.last_error = "companion plugin not installed: video record skipped"
        else:
            raise ValueError(f"unknown outbox kind {m.kind}")
    for assignmentid, batch in grades.items():
        moodle.save_grades(assignmentid, [GradeUpdate(
            userid=m.payload["userid"], grade=m.payload["grade"], feedback_html=m.payload["feedback_html"],
            addattempt=m.payload.get("addattempt", False)) for m in batch])


def grouped_by_assignment(messages: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Failure units: one save_grades call per assignment, one call per video record."""
    groups: dict[object, list[OutboxMessage]] = defaultdict(list)
    for m in messages:
        groups[(GRADE, m.payload["assignmentid"]) if m.kind == GRADE else (m.kind, m.id)].append(m)
    return list(groups.values())

