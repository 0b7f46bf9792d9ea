"""Operations pages for site admins: alerts and the lists behind them, the sync ledger, legal
holds, the audit log."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import authz, params
from ..extensions import db
from ..audit import search_audit
from ..models import OutboxMessage, utcnow
from ..services import alerts, outbox, retention, roster
from ..services import moodle_refusals
from ..services.moodle import MoodleError, MoodleRejected
from ..web import render_region
from . import bp

PAGE = 50


@bp.before_request
@login_required
def _admins_only():
    authz.require_site_admin(current_user)


@bp.context_processor
def _alert_titles():
    return {"titles": alerts.TITLES}


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html", alerts=alerts.collect(),
                           upcoming=retention.upcoming(utcnow()), site_sync=roster.last_site_sync())


@bp.post("/roster/sync")
def roster_sync():
    """On demand: link Moodle's companies, courses and people now (the worker does it hourly)."""
    try:
        users = roster.Roster(roster.moodle_client()).sync_site()
        db.session.commit()
    except MoodleRejected as exc:
        db.session.rollback()
        fix = moodle_refusals.report(exc, current_user)
        db.session.commit()
        flash(f"Moodle refused the sync, so nothing changed. {fix}", "error")
    except MoodleError as exc:
        db.session.rollback()
        flash(f"Moodle is not answering, so nothing changed ({exc}). The worker tries again every hour.", "error")
    else:
        flash(f"Roster synced from Moodle: {len(users)} people in the companies' courses.", "success")
    return redirect(url_for("admin.dashboard"))


@bp.get("/alerts/<kind>")
def alert_rows(kind: str):
    if kind not in alerts.TITLES:
        abort(404)
    return render_region("alert-rows", "admin/dashboard.html", "admin/_alert_rows.html",
                         alerts=alerts.collect(), upcoming=retention.upcoming(utcnow()),
                         kind=kind, rows=alerts.rows(kind), site_sync=roster.last_site_sync())


@bp.post("/outbox/<id:message_id>/retry")
def retry(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    try:
        outbox.requeue(message)
    except outbox.AlreadySent:
        flash("Not queued again: Moodle already has this one, and sending it twice would repeat it "
              "(a resubmission request would open yet another attempt).", "error")
        return redirect(url_for("admin.alert_rows", kind="dead_syncs"))
    db.session.commit()
    flash("Queued again; the worker sends it within seconds.", "success")
    return redirect(url_for("admin.alert_rows", kind="dead_syncs"))


@bp.post("/submissions/<id:submission_id>/hold")
def hold(submission_id: int):
    sub = authz.submission_or_404(current_user, submission_id)
    reason = (request.form.get("reason") or "").strip()
    hold_on = request.form.get("hold") == "1"
    if hold_on and not reason:
        abort(422, "Say why the video is on legal hold.")
    retention.set_legal_hold(current_user, sub, hold_on, reason)
    flash("Legal hold set: the video will not be deleted." if hold_on else "Legal hold released.", "success")
    return redirect(request.referrer or url_for("admin.dashboard"))


@bp.get("/audit")
def audit():
    try:
        page = params.page_arg(request.args)
    except params.BadParam as exc:
        abort(400, str(exc))
    entries = db.session.scalars(search_audit(request.args).limit(PAGE).offset((page - 1) * PAGE)).all()
    return render_region("audit-rows", "admin/audit.html", "admin/_audit_rows.html",
                         entries=entries, args=request.args, page_no=page)
