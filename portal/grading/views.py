"""The teacher's queue and review pane. Thin: services/grading.py decides, authz scopes."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import authz
from ..extensions import db
from ..services import grading, moodle_grades
from ..services.playback import PlaybackUnavailable, playback_for
from ..web import render_region
from . import bp

CHANGED = {"HX-Trigger": "grading-changed"}     # the queue region reloads itself on this event


def _start_time() -> float | None:
    try:
        t = float(request.args.get("t", ""))
    except ValueError:
        return None
    return t if 0 < t < 86400 else None


def _seconds(raw: str | None) -> float:
    try:
        t = float(raw or 0)
    except ValueError:
        return 0.0
    return t if 0 <= t < 86400 else 0.0


@bp.app_context_processor
def _limits():
    return {"feedback_max": grading.FEEDBACK_MAX, "comment_max": grading.COMMENT_MAX}


def review_context(sub, **extra):
    try:
        playback, unavailable = playback_for(current_user, sub, start_time=_start_time()), None
    except PlaybackUnavailable as exc:
        playback, unavailable = None, str(exc)
    return dict(sub=sub, playback=playback, unavailable=unavailable, attempts=grading.earlier_attempts(sub),
                sync=grading.sync_status_of(sub), moodle_url=current_app.config["SETTINGS"].moodle_url,
                moodle=moodle_grades.facts(sub), **extra)


def _review(sub, status=200, headers=None, **extra):
    resp = render_region("review", "grading/review.html", "grading/_review.html", status=status,
                         **review_context(sub, **extra))
    resp.headers.extend(headers or {})
    return resp


@bp.get("/")
@login_required
def queue():
    if not authz.is_teacher(current_user):
        abort(403, "The grading queue is for teachers of a course.")
    try:
        filters = grading.QueueFilters.from_args(request.args)
    except grading.BadFilter as exc:
        abort(400, str(exc))
    page = grading.queue_for(current_user, filters)
    return render_region("queue", "grading/queue.html", "grading/_queue.html", queue=page, f=filters,
                         sync_words=grading.SYNC_WORDS)


@bp.get("/<id:submission_id>")
@login_required
def review(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id)
    if authz.Right.GRADE not in authz.rights(current_user, sub):
        if sub.student_id == current_user.id:   # the link in Moodle's feedback, opened by the student
            return redirect(url_for("uploads.watch", submission_id=sub.id, t=request.args.get("t")))
        abort(403)
    moodle_grades.refresh(sub.assignment)       # a grade given in Moodle's grader shows at once
    return _review(sub)      # otherwise a GET changes nothing (a cross-site link could send one): see opened


@bp.post("/<id:submission_id>/opened")
@login_required
def opened(submission_id: int):
    """The pane's first play of the video (static/js/grading.js): the review starts, and the
    turnaround clock with it."""
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    grading.open_review(sub)
    return "", 204, CHANGED


@bp.post("/<id:submission_id>")
@login_required
def save(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    form = request.form
    try:
        version = int(form.get("version", ""))
    except ValueError:
        abort(400, "The form is missing its version; reload the page.")
    grade_text, feedback = form.get("grade", ""), form.get("feedback", "")
    drafts = dict(draft_grade=grade_text, draft_feedback=feedback)
    try:
        grading.save_review(current_user, sub, version=version, grade=grade_text,
                            feedback=feedback, action=form.get("action", "save"))
    except grading.ReviewRejected as exc:
        db.session.rollback()
        return _review(sub, status=422, error=str(exc), **drafts)
    except (grading.ReviewConflict, StaleDataError):
        db.session.rollback()
        db.session.refresh(sub)          # show the newer version, keep this teacher's words beside it
        return _review(sub, status=409, conflict=True, **drafts)
    return _review(sub, headers=CHANGED, saved=form.get("action", "save"))


@bp.post("/<id:submission_id>/comments")
@login_required
def comment(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    try:
        grading.add_comment(current_user, sub, request.form.get("at_seconds", "0"), request.form.get("body", ""))
    except grading.ReviewRejected as exc:
        db.session.rollback()
        return render_template("grading/_comments.html", sub=sub, comment_error=str(exc),
                               draft_comment=request.form.get("body", ""),
                               draft_at=_seconds(request.form.get("at_seconds"))), 422
    return render_template("grading/_comments.html", sub=sub), 200, CHANGED


@bp.post("/<id:submission_id>/retry")
@login_required
def retry(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    grading.retry_sync(current_user, sub)
    return _review(sub, headers=CHANGED, retried=True)
