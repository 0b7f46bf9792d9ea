"""What each outbox message does in Moodle.

Grades: the newest saved version of each submission is sent with mod_assign_save_grades, one call
per assignment for a whole batch, then read back with mod_assign_get_grades: Moodle answers `null`
whatever happened and silently drops a grade above its maximum (contract, recorded), so only the
read-back says the grade is there. Video records go through the companion plugin; where it is not
installed they are skipped and grades still sync.
"""
from __future__ import annotations

import html
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboxMessage, OutboxState, ReopenMethod, ReviewState, Submission, utcnow
from . import attempts, moodle_grades, outbox
from .moodle import (GradeUpdate, MoodleAccessDenied, MoodleClient, MoodleError, MoodleInvalidToken,
                     MoodleRejected, MoodleUnknownFunction)

GRADE = "grade"
RECORD_VIDEO = "record_video"
VIDEO_STATUS = "video_status"

# PHP's max_input_vars (1000 by default) silently truncates a longer form: 7 fields a grade.
GRADES_PER_CALL = 100
SUPERSEDED = "superseded by a newer save"
NEWER_IN_MOODLE = "Not sent: {who} gave a newer grade in Moodle, which the portal now shows."


# --- enqueueing (in the caller's transaction) ----------------------------------------------------

def timecode(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): in Moodle's feedback they would
# reorder the text around them (a "\u202egnp.exe" trick); the portal's own pages isolate with <bdi>.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _text(s: str) -> str:
    return html.escape(s.translate(BIDI_CONTROLS))


def feedback_html(sub: Submission, base_url: str) -> str:
    """Feedback text for Moodle: the teacher's words, then each time-coded comment as a link that
    opens the portal player at that second."""
    parts = [f"<p>{_text(line)}</p>" for line in sub.feedback.splitlines() if line.strip()]
    if sub.comments:
        items = "".join(
            f'<li><a href="{base_url}/grading/{sub.id}?t={int(c.at_seconds)}">{timecode(c.at_seconds)}</a> '
            f"{_text(c.body)}</li>" for c in sub.comments)
        parts.append(f"<p>Comments on the video:</p><ul>{items}</ul>")
    return "".join(parts)


def enqueue_grade(sub: Submission) -> bool:
    """Queue the submission's current grade; older unsent versions are superseded. The key names
    the saved version (and the comments in its feedback): a replayed request queues nothing new."""
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.submission_id == sub.id, OutboxMessage.kind == GRADE,
        OutboxMessage.state == OutboxState.PENDING.value).values(
        state=OutboxState.DONE.value, last_error=SUPERSEDED, sent_at=utcnow()))
    base_url = current_app.config["SETTINGS"].base_url
    payload = {
        "assignmentid": sub.assignment.moodle_id, "userid": sub.student.moodle_id,
        "grade": float(sub.grade) if sub.grade is not None else -1.0,
        "feedback_html": feedback_html(sub, base_url),
        "addattempt": sub.review_state == ReviewState.RESUBMIT.value,
        # Approving releases the grade where Moodle uses a marking workflow (ignored elsewhere).
        "workflowstate": "released" if sub.review_state == ReviewState.APPROVED.value else "",
    }
    key = f"grade:{sub.id}:v{sub.version}:c{len(sub.comments)}"
    return outbox.enqueue(db.session, GRADE, key, payload, submission_id=sub.id)


# --- sending (the worker) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Failed:
    """One message that did not get through, in words a teacher can act on."""
    error: str


Outcome = dict[int, "Failed | str | None"]     # message id -> None (sent), a note (done), or Failed

EXPLAINED = {
    "invalidtoken": "the portal's Moodle token is not valid (revoked or expired): an administrator must renew it",
    "accessexception": "Moodle refused the portal's service account (a missing capability, or the "
                       "function is not in the portal's web service)",
    "nopermissions": "the portal's service account may not grade this assignment in Moodle",
    "requireloginerror": "the course or activity is hidden or not accessible to the portal in Moodle",
    "invalidrecord": "Moodle does not know this assignment or student any more (deleted?)",
    "invalidparameter": "Moodle refused the values sent",
    "dmlwriteexception": "Moodle could not write to its database",
}


def explain(exc: MoodleError) -> str:
    if isinstance(exc, MoodleRejected):
        words = EXPLAINED.get(exc.errorcode, "Moodle refused it")
        return f"Moodle refused it: {words}. Moodle said: “{exc.message or exc.errorcode}” ({exc.errorcode})."
    return (f"Moodle is not answering ({exc}). The portal keeps trying by itself and sends it as soon "
            "as Moodle answers again.")


def failure_units(messages: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """One save_grades call per assignment (at most GRADES_PER_CALL grades), one call per video record."""
    groups: dict[object, list[OutboxMessage]] = defaultdict(list)
    for m in messages:
        if m.kind == GRADE and not m.payload.get("addattempt"):
            groups[(GRADE, m.payload["assignmentid"])].append(m)
        else:       # a resubmission request is read, sent and read again on its own
            groups[(m.kind, m.id)].append(m)
    units = []
    for group in groups.values():
        units.extend(group[i:i + GRADES_PER_CALL] for i in range(0, len(group), GRADES_PER_CALL))
    return units


def send_unit(session: Session, moodle: MoodleClient, unit: list[OutboxMessage], *, in_doubt: set[int],
              fresh: dict[int, dict] | None = None) -> Outcome:
    """Send one failure unit. MoodleUnavailable escapes (the whole unit is tried again later); a
    refusal of a video record escapes too; grades answer per message."""
    if unit[0].kind == GRADE:
        return _send_grades(session, moodle, unit, in_doubt, {} if fresh is None else fresh)
    m = unit[0]
    try:
        if m.kind == RECORD_VIDEO:
            video = dict(m.payload)
            readyat = video.pop("readyat", 0)
            moodle.record_video(**video)
            if readyat and video["status"] == "ready":
                # record_video has no readyat (contract); set_video_status carries Stream's time.
                moodle.set_video_status(streamuid=video["streamuid"], status="ready",
                                        durationseconds=video.get("durationseconds") or 0, readyat=readyat)
        elif m.kind == VIDEO_STATUS:
            moodle.set_video_status(**m.payload)
        else:
            return {m.id: Failed(f"unknown outbox kind '{m.kind}'")}
    except MoodleUnknownFunction:
        return {m.id: "companion plugin not installed in Moodle: video record skipped"}
    return {m.id: None}


def _send_grades(session: Session, moodle: MoodleClient, unit: list[OutboxMessage], in_doubt: set[int],
                 fresh: dict[int, dict]) -> Outcome:
    """`fresh`: the grades read back after the previous unit of this batch, per assignment: read
    moments ago, they serve as this unit's read before sending (one Moodle call less a unit)."""
    outcome: Outcome = {}
    live = _drop_old_attempts(session, _drop_superseded(session, unit, outcome), outcome)
    assignmentid = unit[0].payload["assignmentid"]
    if not live:
        return outcome
    # What Moodle has now: a grade given in Moodle after the portal's save is newer and wins; a
    # grade a dead or timed-out worker already sent is not sent twice.
    # Only what changed since the oldest row was saved matters for either (`since`, a short answer).
    have = fresh.pop(assignmentid, None)
    if have is None:
        have = _moodle_grades(moodle, assignmentid, since=min(int(m.created_at.timestamp()) for m in live))
    own = moodle.own_userid()
    for m in list(live):
        got = have.get(m.payload["userid"])
        if got is not None and got.grader != own and got.timemodified >= int(m.created_at.timestamp()):
            who, _ = moodle_grades.adopt(session, assignmentid, m.payload["userid"], got)
            outcome[m.id] = NEWER_IN_MOODLE.format(who=who)
            live.remove(m)
        elif m.id in in_doubt and not m.payload.get("addattempt") and _landed(m, have, since=m.created_at):
            outcome[m.id] = None
            live.remove(m)
    if not live:
        return outcome
    if live[0].payload.get("addattempt"):           # alone in its unit (failure_units)
        return outcome | _send_reopen(session, moodle, live[0])
    started = utcnow()
    try:
        moodle.save_grades(assignmentid, [_update(m) for m in live])
    except MoodleRejected as exc:
        if len(live) == 1 or _whole_call(exc):
            return outcome | {m.id: Failed(explain(exc)) for m in live}
        # The batch is not atomic (contract §9): keep what landed, send the rest one by one, so
        # one bad grade does not take the others down with it.
        have = _moodle_grades(moodle, assignmentid)
        for m in live:
            if _landed(m, have, since=started):
                outcome[m.id] = None
            else:
                outcome |= _send_grades(session, moodle, [m], set(), {})
        return outcome
    return outcome | _confirm(session, moodle, assignmentid, live, fresh)


def _whole_call(exc: MoodleRejected) -> bool:
    """Refusals that would refuse each grade alone just the same: no point in splitting."""
    return isinstance(exc, (MoodleInvalidToken, MoodleAccessDenied, MoodleUnknownFunction)) \
        or exc.errorcode == "invalidrecord"


def _drop_superseded(session: Session, unit: list[OutboxMessage], outcome: Outcome) -> list[OutboxMessage]:
    """Only the newest grade of a submission is sent, and only one grade per student per call:
    an older row (a retried dead one, a duplicate) would overwrite the newer grade in Moodle."""
    newest = dict(session.execute(
        select(OutboxMessage.submission_id, func.max(OutboxMessage.id))
        .where(OutboxMessage.kind == GRADE, OutboxMessage.submission_id.in_({m.submission_id for m in unit}))
        .group_by(OutboxMessage.submission_id)).all())
    per_user: dict[int, OutboxMessage] = {}
    for m in sorted(unit, key=lambda m: m.id):
        if m.submission_id is not None and newest.get(m.submission_id, m.id) > m.id:
            outcome[m.id] = SUPERSEDED
            continue
        if m.payload["userid"] in per_user:
            outcome[per_user[m.payload["userid"]].id] = SUPERSEDED
        per_user[m.payload["userid"]] = m
    return list(per_user.values())


def _drop_old_attempts(session: Session, live: list[OutboxMessage], outcome: Outcome) -> list[OutboxMessage]:
    """Moodle grades its latest attempt only: a grade for an attempt Moodle has moved on from would
    overwrite the newer attempt's grade (REAL-SITE.md). Such a row ends here, in words."""
    ids = {m.submission_id for m in live if m.submission_id is not None}
    subs = {s.id: s for s in session.scalars(select(Submission).where(Submission.id.in_(ids)))} if ids else {}
    newest = attempts.newest_attempts(list(subs.values()))
    kept = []
    for m in live:
        sub = subs.get(m.submission_id)
        why = None if sub is None else \
            attempts.superseded_reason(sub, newest.get((sub.assignment_id, sub.student_id)))
        if why is None:
            kept.append(m)
        else:
            outcome[m.id] = Failed(f"Not sent to Moodle. {why}")
    return kept


def _send_reopen(session: Session, moodle: MoodleClient, m: OutboxMessage) -> Outcome:
    """A grade with a resubmission request (addattempt). Moodle answers null whether or not it
    opened an attempt, and every call opens another one with "manual" (REAL-SITE.md): so the
    attempt number is read and kept before sending, a retry after a lost answer reads it again
    instead of resending, and the new attempt is confirmed after."""
    p = m.payload
    now_at = moodle.latest_attempt(p["assignmentid"], p["userid"])
    start = p.get("fromattempt")
    if start is not None and now_at > start:
        return _reopened(session, m)                 # the lost answer had landed: not twice
    if start is None:
        m.payload = {**p, "fromattempt": now_at}     # kept before sending: a crash cannot forget it
        session.commit()
        start = now_at
    moodle.save_grades(p["assignmentid"], [_update(m)])
    if moodle.latest_attempt(p["assignmentid"], p["userid"]) > start:
        return _reopened(session, m)
    return {m.id: Failed(
        "Moodle kept the grade and feedback but did not open a new attempt, so the student cannot "
        "resubmit there. Moodle opens one only when the assignment's “Additional attempts” is "
        "“Manually” and the student has attempts left (“Maximum attempts”). Change that in the "
        "assignment's settings in Moodle, then request the resubmission again.")}


def _reopened_until_pass(session: Session, moodle: MoodleClient, m: OutboxMessage) -> None:
    """"Automatically until pass": a grade below the grade to pass makes Moodle open the next
    attempt by itself, and get_grades then lists no grade for the student (REAL-SITE.md). The
    attempt number says so; the student may then upload the next attempt."""
    sub = session.get(Submission, m.submission_id) if m.submission_id is not None else None
    if sub is None or sub.assignment.reopen_method != ReopenMethod.UNTILPASS.value:
        return
    try:
        if moodle.latest_attempt(m.payload["assignmentid"], m.payload["userid"]) > 0:
            _reopened(session, m)
    except MoodleError:
        pass                         # read again with the next grade; nothing is lost meanwhile


def _reopened(session: Session, m: OutboxMessage) -> Outcome:
    sub = session.get(Submission, m.submission_id) if m.submission_id is not None else None
    if sub is not None and sub.moodle_reopened_at is None:
        sub.moodle_reopened_at = utcnow()
    return {m.id: None}


def _update(m: OutboxMessage) -> GradeUpdate:
    p = m.payload
    return GradeUpdate(userid=p["userid"], grade=p["grade"], feedback_html=p["feedback_html"],
                       addattempt=p.get("addattempt", False), workflowstate=p.get("workflowstate", ""))


def _moodle_grades(moodle: MoodleClient, assignmentid: int, since: int = 0) -> dict[int, moodle_grades.MoodleGrade]:
    """userid -> (grade or None, timemodified, grader, attempt) as Moodle has it now."""
    return moodle_grades.read(moodle, assignmentid, since, retries=0)     # the outbox backs off itself


def _same(sent: float, have: float | None) -> bool:
    if sent < 0:
        return have is None
    return have is not None and math.isclose(sent, have, abs_tol=1e-4)


def _landed(m: OutboxMessage, have: dict[int, moodle_grades.MoodleGrade], *, since: datetime) -> bool:
    got = have.get(m.payload["userid"])
    return got is not None and _same(m.payload["grade"], got[0]) and got[1] >= int(since.timestamp())


def _confirm(session: Session, moodle: MoodleClient, assignmentid: int, sent: list[OutboxMessage],
             fresh: dict[int, dict]) -> Outcome:
    """Read the grades back: a grade Moodle dropped is a failure a person must look at."""
    try:
        have = fresh[assignmentid] = _moodle_grades(moodle, assignmentid)
    except MoodleError:
        return {m.id: "sent; Moodle could not be asked to confirm it" for m in sent}
    outcome: Outcome = {}
    for m in sent:
        got = have.get(m.payload["userid"])
        if got is None and m.payload["grade"] >= 0:
            _reopened_until_pass(session, moodle, m)
        if m.payload.get("addattempt") or got is None or _same(m.payload["grade"], got[0]):
            # A new attempt has no grade yet, and Moodle lists grades only for students with a
            # submission: nothing to compare there, the call itself succeeded.
            outcome[m.id] = None
        else:
            shown = "no grade" if got[0] is None else f"{got[0]:g}"
            outcome[m.id] = Failed(
                f"Moodle did not keep the grade {m.payload['grade']:g}: it shows {shown}. The maximum grade "
                "in Moodle is probably lower than the portal's; check the assignment's settings in Moodle, "
                "then retry.")
    return outcome

