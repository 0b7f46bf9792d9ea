"""What needs a person: failed uploads and processing, stuck videos, dead Moodle syncs, webhook
trouble, budgets passed. One query per kind; the admin dashboard and the e-mail digest share it."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlparse

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import AuditEntry, OutboxMessage, OutboxState, Submission, VideoStatus, WebhookEvent, utcnow

log = logging.getLogger(__name__)
WINDOW = timedelta(days=7)
STUCK = timedelta(hours=2)
BACKLOG = timedelta(minutes=2)     # the worker applies webhooks every second: minutes mean it is down
REFUSAL_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Alert:
    kind: str
    title: str
    count: int
    hint: str


def _away_after() -> int:
    from flask import current_app
    return current_app.config["SETTINGS"].outbox_max_attempts


def _count(q) -> int:
    return db.session.scalar(select(func.count()).select_from(q.subquery())) or 0


def queries(now: datetime) -> dict[str, object]:
    since = now - WINDOW
    return {
        "processing_errors": select(Submission).where(Submission.status == VideoStatus.ERROR.value,
                                                      Submission.created_at >= since),
        "expired_uploads": select(Submission).where(Submission.status == VideoStatus.EXPIRED.value,
                                                    Submission.created_at >= since),
        "stuck": select(Submission).where(
            or_(Submission.status == VideoStatus.PROCESSING.value,
                Submission.status == VideoStatus.UPLOADING.value),
            Submission.created_at < now - STUCK,
            or_(Submission.upload_expires_at.is_(None), Submission.upload_expires_at < now)),
        "dead_syncs": select(OutboxMessage).where(OutboxMessage.state == OutboxState.DEAD.value),
        # Moodle away for long: rows that failed OUTBOX_MAX_ATTEMPTS times and still wait. They
        # need no Retry (the worker keeps trying); the admin needs to know Moodle is away.
        "moodle_away": select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING.value,
                                                   OutboxMessage.attempts >= _away_after()),
        "webhook_unmatched": select(WebhookEvent).where(WebhookEvent.received_at >= since,
                                                        WebhookEvent.error.is_not(None)),
        "webhook_backlog": select(WebhookEvent).where(WebhookEvent.processed_at.is_(None),
                                                      WebhookEvent.received_at < now - BACKLOG),
        "playback_errors": select(AuditEntry).where(AuditEntry.action == "playback.error", AuditEntry.at >= since),
        # A day: once the admin fixed the set-up, the alert goes away by itself.
        "moodle_refused": select(AuditEntry).where(AuditEntry.action == "moodle.refused",
                                                   AuditEntry.at >= now - REFUSAL_WINDOW)
                                            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
    }


TITLES = {
    "processing_errors": ("Videos Stream could not process", "Students were told what to do; check for a pattern."),
    "expired_uploads": ("Uploads abandoned or expired", "Many at once can mean a network or browser problem."),
    "stuck": ("Videos stuck uploading or processing", "Run `flask reconcile`; the worker does it every 5 minutes."),
    "dead_syncs": ("Moodle syncs that failed for good", "Read the error, fix the cause in Moodle, then retry."),
    "moodle_away": ("Moodle writes waiting because Moodle is not answering",
                    "Nothing to retry: they are sent by themselves when Moodle answers. Check that Moodle "
                    "is up and reachable from the portal (the error says what the portal saw)."),
    "webhook_unmatched": ("Webhooks that could not be applied", "Compare with `flask reconcile --orphans`."),
    "webhook_backlog": ("Webhooks received but not applied", "Is `flask worker` running? It applies them every second."),
    "playback_errors": ("Playback tokens that could not be issued", "Check STREAM_SIGNING_KEY_ID / _PEM (flask stream create-key)."),
    "moodle_refused": ("Moodle refused the portal's service account", "See the README, Moodle set-up."),
}


def _refusal_fixes(q) -> str:
    """The distinct fixes of the latest refusals, newest first: the hint names the capability."""
    fixes = []
    for entry in db.session.scalars(q.limit(50)):
        fix = (entry.details or {}).get("fix")
        if fix and fix not in fixes:
            fixes.append(fix)
    return " ".join(fixes[:3])


def collect(now: datetime | None = None) -> list[Alert]:
    now = now or utcnow()
    out = [Alert(kind, *TITLES[kind][:1], _count(q),
                 (kind == "moodle_refused" and _refusal_fixes(q)) or TITLES[kind][1])
           for kind, q in queries(now).items()]
    try:
        from .usage import budget_alerts
        over = budget_alerts(now)
    except Exception:    # a report problem must not hide the other alerts
        log.exception("budget alerts failed")
        over = []
    out.append(Alert("budget", "Companies projected over their monthly budget", len(over),
                     "See the company's report for the projection."))
    from . import stream_budget
    budget = stream_budget.budget_per_minute()
    out.append(Alert("stream_api", "Cloudflare API requests in the last 5 minutes, near the limit",
                     stream_budget.near_limit(now),
                     f"The portal may use {budget * 5:,} per 5 minutes (Cloudflare allows 1,200 per token); "
                     "look for a script or a loop calling Stream, or a reconcile over many stuck videos."))
    return out


def rows(kind: str, now: datetime | None = None, limit: int = 50):
    q = queries(now or utcnow())[kind]
    return db.session.scalars(q.limit(limit)).all()


def send_digest(smtp_url: str, to: str, alerts: list[Alert], base_url: str) -> bool:
    """E-mail the alerts that count; quietly nothing when no SMTP server is configured."""
    active = [a for a in alerts if a.count]
    if not smtp_url or not to or not active:
        return False
    parsed = urlparse(smtp_url)
    msg = EmailMessage()
    msg["Subject"] = f"Stream Portal: {sum(a.count for a in active)} item(s) need attention"
    msg["From"] = f"stream-portal@{urlparse(base_url).hostname or 'localhost'}"
    msg["To"] = to
    msg.set_content("\n".join(f"- {a.title}: {a.count}. {a.hint}" for a in active)
                    + f"\n\nDetails: {base_url}/admin/\n")
    with smtplib.SMTP(parsed.hostname or "127.0.0.1", parsed.port or 25, timeout=10) as smtp:
        smtp.send_message(msg)
    return True
