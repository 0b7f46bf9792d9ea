"""Attempts as Moodle applies them (../shared/contracts/moodle/REAL-SITE.md, "Attempts and reopening").

Moodle grades its latest attempt only, opens a new one only when the assignment's "Additional
attempts" (attemptreopenmethod) allows it, and ignores a resubmission request without a word when
it does not. So the portal offers "Request resubmission" only where Moodle will honour it, says why
not otherwise, and never sends a grade for an attempt Moodle has moved on from.
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import UNLIMITED_ATTEMPTS, Assignment, ReopenMethod, Submission, VideoStatus

# Newer uploads that replace an attempt in the teacher's eyes: a video that reached Stream.
SUBMITTED = (VideoStatus.PROCESSING.value, VideoStatus.READY.value, VideoStatus.ERROR.value,
             VideoStatus.DELETED.value)


def allowed(a: Assignment) -> int | None:
    """Attempts the student may make; None is unlimited. "Never" reopens: one attempt, whatever
    maxattempts says (Moodle hides that field then)."""
    if a.reopen_method in (None, ReopenMethod.NONE.value):
        return 1
    return None if a.max_attempts >= UNLIMITED_ATTEMPTS else a.max_attempts


def describe(a: Assignment) -> str:
    n = allowed(a)
    return "unlimited" if n is None else str(n)


def newer_attempt(sub: Submission) -> Submission | None:
    """The student's newest attempt after `sub` that reached Stream, if any."""
    return db.session.scalar(select(Submission).where(
        Submission.assignment_id == sub.assignment_id, Submission.student_id == sub.student_id,
        Submission.attempt > sub.attempt, Submission.status.in_(SUBMITTED))
        .order_by(Submission.attempt.desc()).limit(1))


def superseded_reason(sub: Submission, newest: int | None = -1) -> str | None:
    """Why a grade for `sub` must not go to Moodle (it would land on Moodle's latest attempt and
    overwrite the gradebook), or None when `sub` is Moodle's current attempt. `newest` is the
    student's newest submitted attempt when the caller knows it (newest_attempts)."""
    if newest == -1:
        newer = newer_attempt(sub)
        newest = newer.attempt if newer is not None else None
    if newest is not None and newest > sub.attempt:
        return (f"Attempt {newest} is newer. Moodle grades only the latest attempt, so a grade "
                f"saved here would overwrite it in the gradebook: grade attempt {newest} instead.")
    if sub.moodle_reopened_at is not None:
        return ("Moodle has opened a new attempt for this student after this one (the resubmission "
                "request went through). Moodle grades only the latest attempt, so this attempt can no "
                "longer be graded; the student's next upload can.")
    return None


def new_attempt_blocker(a: Assignment, latest: Submission | None) -> str | None:
    """Why the student may not start another attempt yet, or None. `latest` is their newest attempt
    that counts. Moodle has a new attempt only after reopening the last one: an upload before that
    would land on the attempt already submitted (and graded) in Moodle."""
    if latest is None or latest.moodle_reopened_at is not None:
        return None
    if a.reopen_method == ReopenMethod.MANUAL.value:
        return ("You can upload another attempt when your teacher asks for a resubmission: Moodle "
                "opens the next attempt then.")
    if a.reopen_method == ReopenMethod.UNTILPASS.value:
        return ("You can upload another attempt if your grade is below the grade to pass: Moodle "
                "opens the next attempt by itself then.")
    return None                      # "none": one attempt, counted by allowed()


def newest_attempts(subs: list[Submission]) -> dict[tuple[int, int], int]:
    """(assignment id, student id) -> the newest submitted attempt, for many submissions in one query."""
    if not subs:
        return {}
    students = {s.student_id for s in subs}
    rows = db.session.execute(select(Submission.assignment_id, Submission.student_id, func.max(Submission.attempt))
                              .where(Submission.assignment_id.in_({s.assignment_id for s in subs}),
                                     Submission.student_id.in_(students), Submission.status.in_(SUBMITTED))
                              .group_by(Submission.assignment_id, Submission.student_id))
    return {(a, st): n for a, st, n in rows}


def resubmission_blocker(sub: Submission) -> str | None:
    """Why Moodle would not open another attempt for `sub` (so the portal must not ask), or None."""
    a = sub.assignment
    method = a.reopen_method
    if method == ReopenMethod.NONE.value:
        return ("Moodle will not open another attempt: this assignment's “Additional attempts” is "
                "“Never”. A teacher with editing rights or the site administrator can set it to "
                "“Manually” in the assignment's settings in Moodle.")
    if method == ReopenMethod.UNTILPASS.value:
        return ("Moodle opens another attempt by itself when the grade is below the grade to pass "
                "(“Additional attempts: Automatically until pass”): give the grade and Moodle does the "
                "rest. To ask by hand, set it to “Manually” in the assignment's settings in Moodle.")
    limit = allowed(a)
    if limit is not None and sub.attempt >= limit:
        return (f"The student has used all {limit} attempts Moodle allows (“Maximum attempts” in the "
                "assignment's settings in Moodle). Raise it there to ask for another.")
    return superseded_reason(sub)
