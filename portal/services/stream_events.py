"""Stream webhook events: verify, store once (a replay or duplicate is a no-op), apply."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Assignment, Course, Submission, WebhookEvent, utcnow
from .stream import WebhookSignatureError, verify_webhook
from .submissions import apply_video


def signed_time(header: str) -> datetime:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "time" and value.isdigit():
            return datetime.fromtimestamp(int(value), timezone.utc)
    raise WebhookSignatureError("no time in the signature header")


def receive(body: bytes, header: str, secret: str) -> str:
    if not secret:
        raise WebhookSignatureError("no webhook secret is configured")
    verify_webhook(body, header, secret)
    video = json.loads(body)
    if not isinstance(video, dict) or "uid" not in video:
        raise ValueError("not a video object")
    event = WebhookEvent(body_sha256=hashlib.sha256(body).hexdigest(), signed_at=signed_time(header),
                         stream_uid=str(video["uid"])[:64],
                         state=((video.get("status") or {}).get("state") or "")[:32], payload=video)
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:      # the same signed body again: already handled
        db.session.rollback()
        return "duplicate"
    # One query for everything applying the event touches (retention, the Moodle record).
    sub = db.session.scalar(select(Submission).where(Submission.stream_uid == event.stream_uid).options(
        joinedload(Submission.assignment).joinedload(Assignment.course).joinedload(Course.company),
        joinedload(Submission.student)))
    outcome = "unknown video"
    if sub is None:
        event.error = "no submission has this video uid (see flask reconcile --orphans)"
    else:
        outcome = "applied" if apply_video(sub, video) else "no change"
    event.processed_at = utcnow()
    db.session.commit()
    return outcome
