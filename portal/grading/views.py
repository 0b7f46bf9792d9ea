"""The teacher's queue and review pane. Thin: services/grading.py decides, authz scopes."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import authz
from ..extensions import db
from ..services import grading
from ..services.playback import PlaybackUnavailable, playback_for
from ..web import render_region
from . import bp


def review_context(sub, **extra):
    try:
        start = float(request.args.get("t", "")) if request.args.get("t") else None
        playback, unavailable = playback_for(current_user, sub, start_time=start), None
    except (PlaybackUnavailable, ValueError) as exc:
        playback, unavailable = None, str(exc)
    return dict(sub=sub, playback=playback, unavailable=unavailable,
                attempts=grading.earlier_attempts(sub), sync_error=grading.last_sync_error(sub),
                sync_state=grading.sync_state_of(sub), **extra)


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
    return render_region("queue", "grading/queue.html", "grading/_queue.html", queue=page, f=filters)


@bp.get("/<int:submission_id>")
@login_required
def review(submission_id: int):
    sub = grading.open_review(current_user, submission_id)
    return render_region("review", "grading/review.html", "grading/_review.html", **review_context(sub))


@bp.post("/<int:submission_id>")
@login_required
def save(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    form = request.form
    try:
        version = int(form.get("version", ""))
    except ValueError:
        abort(400, "The form is missing its version; reload the page.")
    grade_text, feedback = form.get("grade", ""), form.get("feedback", "")
    try:
        grading.save_review(current_user, sub, version=version, grade=grade_text,
                            feedback=feedback, action=form.get("action", "save"))
    except grading.ReviewRejected as exc:
        db.session.rollback()
        return render_region("review", "grading/review.html", "grading/_review.html", status=422,
                             **review_context(sub, error=str(exc), draft_grade=grade_text, draft_feedback=feedback))
    except (grading.ReviewConflict, StaleDataError):
        db.session.rollback()
        db.session.refresh(sub)
        return render_region("review", "grading/review.html", "grading/_review.html", status=409,
                             **review_context(sub, conflict=True, draft_grade=grade_text, draft_feedback=feedback))
    return render_region("review", "grading/review.html", "grading/_review.html",
                         **review_context(sub, saved=True))


@bp.post("/<int:submission_id>/comments")
@login_required
def comment(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    try:
        grading.add_comment(current_user, sub, request.form.get("at_seconds", "0"), request.form.get("body", ""))
        error = None
    except grading.ReviewRejected as exc:
        db.session.rollback()
        error = str(exc)
    return render_template("grading/_comments.html", sub=sub, comment_error=error), 422 if error else 200


@bp.post("/<int:submission_id>/retry")
@login_required
def retry(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id, authz.Right.GRADE)
    grading.retry_sync(current_user, sub)
    return render_region("review", "grading/review.html", "grading/_review.html",
                         **review_context(sub, saved=False))
