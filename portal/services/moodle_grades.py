"""Grades given in Moodle's own grader, read back into the portal (issue 16, defect 6).

Teachers can grade in Moodle (the companion plugin shows the video there). mod_assign_get_grades
with `since` lists the grades changed since the last read, per assignment; a grade whose grader is
not the portal's service account was given in Moodle. A newer one is adopted (the queue stops
saying "new", the pane says who graded it in Moodle) and an older portal grade still waiting in
the outbox is not sent over it. Read on the worker's schedule and when a review pane opens.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import (Assignment, OutboxMessage, OutboxState, ReviewState, Submission, User, utcnow)
from . import attempts
from .moodle import MoodleClient, MoodleError

log = logging.getLogger(__name__)


class MoodleGrade(NamedTuple):
    grade: float | None            # None: no grade (-1)
    timemodified: int
    grader: int
    attemptnumber: int


def read(moodle: MoodleClient, assignmentid: int, since: int = 0, *, retries: int | None = None) -> dict[int, MoodleGrade]:
    """userid -> the latest attempt's grade as Moodle has it now (contract: mod_assign_get_grades)."""
    answer = moodle.get_grades([assignmentid], since=since, retries=retries)
    out: dict[int, MoodleGrade] = {}
    for a in answer.get("assignments", []):
        for g in a.get("grades", []):
            try:
                value = float(g.get("grade"))
            except (TypeError, ValueError):
                value = None
            out[int(g["userid"])] = MoodleGrade(None if value is None or value < 0 else value,
                                                int(g.get("timemodified") or 0), int(g.get("grader") or 0),
                                                int(g.get("attemptnumber") or 0))
    return out


def _moment(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def adopt(session: Session, assignment_moodle_id: int, student_moodle_id: int, got: MoodleGrade) -> tuple[str, bool]:
    """Take a grade given in Moodle into the portal when it is newer than the portal's; returns who
    gave it, in words, and whether the portal changed. Older portal grades waiting in the outbox
    are not sent over it."""
    grader = session.scalar(select(User).where(User.moodle_id == got.grader))
    who = grader.fullname if grader else f"Moodle user {got.grader}"
    if got.grade is None:
        return who, False
    sub = session.scalar(select(Submission).join(Submission.assignment).join(Submission.student).where(
        Assignment.moodle_id == assignment_moodle_id, User.moodle_id == student_moodle_id,
        Submission.status.in_(attempts.SUBMITTED)).order_by(Submission.attempt.desc()).limit(1))
    if sub is None or sub.moodle_reopened_at is not None:
        return who, False
    at = _moment(got.timemodified)
    if (sub.moodle_graded_at and at <= sub.moodle_graded_at) or (sub.graded_at and sub.graded_at > at):
        return who, False             # seen already, or the portal's grade is the newer one
    sub.grade = Decimal(str(round(got.grade, 5)))
    sub.moodle_grader_id, sub.moodle_graded_at = got.grader, at
    sub.graded_at, sub.graded_by_id = at, grader.id if grader else None
    if sub.review_state in (ReviewState.NEW.value, ReviewState.IN_REVIEW.value):
        sub.review_state = ReviewState.APPROVED.value
    session.execute(update(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == "grade",
        OutboxMessage.state == OutboxState.PENDING.value, OutboxMessage.created_at <= at).values(
        state=OutboxState.DONE.value, sent_at=utcnow(),
        last_error=f"Not sent: {who} gave a newer grade in Moodle, which the portal now shows."))
    return who, True


def read_back(session: Session, moodle: MoodleClient, assignment: Assignment) -> int:
    """Adopt the grades given in Moodle since the last read; returns how many changed. The caller
    commits. Moodle errors propagate (the worker logs them; a pane ignores them)."""
    since = int(assignment.grades_read_at.timestamp()) if assignment.grades_read_at else 0
    have = read(moodle, assignment.moodle_id, since)
    own = moodle.own_userid()
    changed = 0
    for userid, got in have.items():
        if got.grader != own:
            changed += adopt(session, assignment.moodle_id, userid, got)[1]
    if have:
        newest = _moment(max(g.timemodified for g in have.values()))
        if assignment.grades_read_at is None or newest > assignment.grades_read_at:
            assignment.grades_read_at = newest
    return changed


def read_back_all(session: Session, moodle: MoodleClient) -> int:
    """Every assignment with a submission, one call each (the worker's schedule)."""
    ids = session.scalars(select(Assignment).where(
        Assignment.id.in_(select(Submission.assignment_id).distinct()))).all()
    changed = 0
    for a in ids:
        try:
            changed += read_back(session, moodle, a)
            session.commit()
        except MoodleError:
            session.rollback()
            log.warning("grades of assignment %s could not be read from Moodle", a.moodle_id, exc_info=True)
    return changed


@dataclass(frozen=True)
class MoodleFacts:
    """What the review pane says about the submission's standing in Moodle."""
    attempts: str                          # "1", "3" or "unlimited"
    newer: Submission | None               # a newer attempt to grade instead
    superseded: str | None                 # why this attempt can no longer be graded
    resubmit_blocked: str | None           # why "Request resubmission" is off
    graded_in_moodle_by: str | None


def facts(sub: Submission) -> MoodleFacts:
    from ..extensions import db
    who = None
    if sub.moodle_graded_at is not None and sub.graded_at == sub.moodle_graded_at:
        grader = db.session.scalar(select(User).where(User.moodle_id == sub.moodle_grader_id))
        who = grader.fullname if grader else f"Moodle user {sub.moodle_grader_id}"
    return MoodleFacts(attempts.describe(sub.assignment), attempts.newer_attempt(sub),
                       attempts.superseded_reason(sub), attempts.resubmission_blocker(sub), who)


def refresh(assignment: Assignment) -> None:
    """When a review pane opens: the grades given in Moodle since the last read, at once. Moodle
    being away must not stop the pane: one quick try, then the worker's schedule does it."""
    from flask import current_app

    from ..extensions import db
    s = current_app.config["SETTINGS"]
    moodle = current_app.extensions.get("moodle_pane_client")     # keeps own_userid between panes
    if moodle is None:
        moodle = current_app.extensions["moodle_pane_client"] = MoodleClient(
            s.moodle_url, s.moodle_service_token, timeout=(2, 5), read_retries=0)
    try:
        read_back(db.session, moodle, assignment)
        db.session.commit()
    except MoodleError:
        db.session.rollback()
        log.info("grades of assignment %s not read from Moodle now; the worker will", assignment.moodle_id)
