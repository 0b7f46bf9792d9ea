"""The student's assignment page and the tus creation endpoint. Thin: services decide."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from .. import authz
from ..extensions import db
from ..models import Assignment, Submission, VideoStatus
from ..services import attempts as attempt_rules, status_polls, submissions
from ..services.playback import PlaybackUnavailable, playback_for
from ..services.stream import StreamError, client_from_settings
from ..web import is_htmx_swap, render_region
from . import bp
from .tus import claim_from


def stream():
    return client_from_settings(current_app.config["SETTINGS"])


def assignment_or_404(cmid: int) -> Assignment:
    assignment = db.session.scalar(authz.submittable_assignments(current_user).where(Assignment.cmid == cmid))
    if assignment is None:
        abort(404, "This assignment is not one of yours in the portal. If you were just enrolled in "
                   "Moodle, sign out and in again.")
    return assignment


def own_submission_or_404(submission_id: int) -> Submission:
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.VIEW)
    if sub.student_id != current_user.id:
        abort(404)
    return sub


@bp.get("/a/<id:cmid>")
@login_required
def assignment(cmid: int):
    graded = db.session.scalar(authz.graded_assignments(current_user).where(Assignment.cmid == cmid))
    if graded is not None and "grading.queue" in current_app.view_functions:
        return redirect(url_for("grading.queue", assignment=graded.id))
    if db.session.scalar(authz.submittable_assignments(current_user).where(Assignment.cmid == cmid)) is None:
        reported = authz.reported_assignment(current_user, cmid)
        if reported is not None:     # a company manager coming from Moodle: the assignment's report
            return redirect(url_for("reports.assignment", company_id=reported.course.company_id,
                                    assignment_id=reported.id))
    a = assignment_or_404(cmid)
    attempts = submissions.attempts(current_user, a)
    settings = current_app.config["SETTINGS"]
    used = submissions.attempts_used(current_user, a)
    now = submissions.utcnow()
    allowed = attempt_rules.allowed(a)          # None: unlimited, as Moodle's maxattempts -1
    waiting = attempt_rules.new_attempt_blocker(a, submissions.latest_counted(current_user, a))
    # The page, or only the attempts (and the count left) when an upload has just finished.
    return render_region("attempts", "uploads/assignment.html", "uploads/_attempts.html",
                         assignment=a, attempts=attempts, waiting=waiting,
                         in_flight=submissions.in_flight(current_user, a), attempts_allowed=allowed,
                         attempts_left=None if allowed is None else max(allowed - used, 0),
                         oob=is_htmx_swap("attempts"),
                         closed=submissions.closed_reason(a, now), late=submissions.late_notice(a, now),
                         chunk_size=settings.upload_chunk_bytes, human_size=submissions.human_size,
                         type_names=submissions.type_names)


@bp.post("/uploads/<id:cmid>/tus")
@login_required
def create(cmid: int):
    a = assignment_or_404(cmid)
    try:
        sub = submissions.start_upload(current_user, a, claim_from(request), stream())
    except submissions.UploadRefused as refused:
        body = {"error": refused.status, "message": refused.message}
        if refused.submission is not None and refused.submission.upload_url:
            body["submission"] = refused.submission.id
        return jsonify(body), refused.status
    except StreamError as exc:
        current_app.logger.warning("Stream refused an upload creation: %s", exc)
        return jsonify(error=502, message="Cloudflare Stream did not accept the upload right now. "
                                          "Nothing was lost; please try again in a minute."), 502
    resp = make_response("", 201)
    resp.headers.update({"Location": sub.upload_url, "Tus-Resumable": "1.0.0",
                         "stream-media-id": sub.stream_uid, "X-Submission-Id": str(sub.id)})
    return resp


@bp.get("/uploads/<id:submission_id>/status")
@login_required
def status(submission_id: int):
    sub = own_submission_or_404(submission_id)
    if sub.status in (VideoStatus.UPLOADING.value, VideoStatus.PROCESSING.value):
        try:
            if status_polls.poll_status(sub, stream()):    # Stream asked at most once per video per interval
                db.session.commit()
        except StreamError:
            db.session.rollback()          # the next poll asks again
    return render_region(f"submission-{sub.id}", "uploads/submission.html", "uploads/_status.html",
                         sub=sub, human_size=submissions.human_size)


@bp.post("/uploads/<id:submission_id>/cancel")
@login_required
def cancel(submission_id: int):
    sub = own_submission_or_404(submission_id)
    try:
        submissions.cancel_upload(current_user, sub, stream())
    except submissions.UploadRefused as refused:
        # Typically the upload finished in another tab after this page was shown: say so, in words.
        flash(refused.message, "warning")
    except StreamError:
        flash("Cloudflare Stream is not answering, so the upload could not be cancelled yet. "
              "Nothing was lost; try again in a minute.", "error")
    return redirect(url_for("uploads.assignment", cmid=sub.assignment.cmid))


def _start_time(raw: str | None) -> float | None:
    try:
        t = float(raw or "")
    except ValueError:
        return None
    return t if 0 < t < 86400 else None


@bp.get("/uploads/<id:submission_id>/watch")
@login_required
def watch(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.PLAY)
    try:   # ?t= from a comment's link in Moodle's feedback: the player starts at that moment
        playback = playback_for(current_user, sub, start_time=_start_time(request.args.get("t")))
    except PlaybackUnavailable as exc:
        abort(409, str(exc))
    return render_region("player", "uploads/watch.html", "uploads/_player.html", sub=sub, playback=playback)
