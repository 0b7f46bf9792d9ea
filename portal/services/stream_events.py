"""Stream webhook events: verified and stored once by the endpoint (a replay or duplicate is a
no-op), applied in batches by the worker. Acknowledging fast keeps Stream from retrying, and a
batch costs two queries however many events it holds (bench/webhook_ingest.py)."""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import Connection, create_engine, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Assignment, Course, Submission, WebhookEvent, utcnow
from .insert_once import insert_once
from .stream import WebhookSignatureError, verify_webhook
from .submissions import apply_video

log = logging.getLogger(__name__)


def signed_time(header: str) -> datetime:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "time" and value.isdigit():
            return datetime.fromtimestamp(int(value), timezone.utc)
    raise WebhookSignatureError("no time in the signature header")


def receive(body: bytes, header: str, secret: str) -> str:
    """Verify and store the event once, then acknowledge: Stream waits for nothing else. The
    worker applies it (apply_pending) within a second. A replayed or duplicate body inserts
    nothing: "duplicate"."""
    if not secret:
        raise WebhookSignatureError("no webhook secret is configured")
    verify_webhook(body, header, secret)
    video = video_object(body)
    row = dict(body_sha256=hashlib.sha256(body).hexdigest(), signed_at=signed_time(header), received_at=utcnow(),
               stream_uid=video["uid"], state=((video.get("status") or {}).get("state") or "")[:32],
               payload=video)
    for attempt in (1, 2):
        try:
            with _connect() as conn:
                event_id = insert_once(conn, WebhookEvent, "body_sha256", row)
            break
        except DBAPIError as exc:
            # A pooled connection the server dropped (restart, idle timeout): the pool discards
            # it, and running the statement again is harmless (ON CONFLICT), so one more try on
            # a fresh connection, instead of a pre-ping round trip before every event.
            if not exc.connection_invalidated or attempt == 2:
                raise
    return "stored" if event_id is not None else "duplicate"


def video_object(body: bytes) -> dict:
    """The body as Stream's video object (contracts/stream: uid a string, status an object with a
    string state), or ValueError: a signed body can still be odd. What only the worker reads (duration,
    size…) is its business: a bad event there is set aside alone (apply_pending)."""
    try:
        video = json.loads(body)
    except RecursionError:           # deeply nested JSON: no video object is
        raise ValueError("nested too deeply") from None
    if not isinstance(video, dict) or not isinstance(video.get("uid"), str) or not 0 < len(video["uid"]) <= 64:
        raise ValueError("not a video object")
    status = video.get("status")
    if status is not None and (not isinstance(status, dict) or not isinstance(status.get("state", ""), str)):
        raise ValueError("status is not an object with a state")
    if "\x00" in video["uid"] or b"\\u0000" in body:   # PostgreSQL refuses NUL in text
        raise ValueError("NUL character")
    return video


APPLICATION_NAME = "stream-portal webhooks"


def _connect() -> Connection:
    """A connection in autocommit: the endpoint's one statement needs no transaction around it,
    so it is one round trip to the database instead of three (BEGIN, INSERT, COMMIT), the
    endpoint's main cost. On PostgreSQL the endpoint has its own engine, autocommit for good and
    without the portal engine's pre-ping: that was one more round trip per event and a sixth of
    the request's CPU (bench/webhook_ingest.py); receive retries a dropped connection instead.
    SQLite is in-process, no round trip: the portal's engine with its pragmas serves."""
    if db.engine.dialect.name != "postgresql":
        return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    engine = current_app.extensions.get("stream_events_engine")
    if engine is None:
        engine = current_app.extensions.setdefault("stream_events_engine", create_engine(
            db.engine.url, isolation_level="AUTOCOMMIT", connect_args={"application_name": APPLICATION_NAME}))
    return engine.connect()


BATCH = 500
UNMATCHED = "no submission has this video uid (see flask reconcile --orphans)"


def apply_pending(limit: int = BATCH) -> int:
    """Apply stored events in arrival order, a batch in one transaction: one query for the
    events, one for all their submissions. apply_video never moves a video backwards, so an
    event applied twice, or late, changes nothing. Several workers on PostgreSQL take disjoint
    batches (SKIP LOCKED); SQLite has one writer. Returns how many events were handled."""
    pending = (select(WebhookEvent).where(WebhookEvent.processed_at.is_(None))
               .order_by(WebhookEvent.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    events = db.session.scalars(pending).all()
    if not events:
        db.session.rollback()
        return 0
    subs = {s.stream_uid: s for s in db.session.scalars(
        select(Submission).where(Submission.stream_uid.in_({e.stream_uid for e in events})).options(
            joinedload(Submission.assignment).joinedload(Assignment.course).joinedload(Course.company),
            joinedload(Submission.student)))}
    try:
        _apply(events, subs)
        db.session.commit()
    except OperationalError:
        # A deadlock (two workers' batches updating the same submission tallies in another
        # order) or a lost connection: nothing is wrong with the events, and nothing was applied.
        # The next pass takes them again; the other worker's batch went through meanwhile.
        db.session.rollback()
        log.warning("webhook batch of %d events left for the next pass", len(events), exc_info=True)
        return 0
    except Exception:
        # One bad event must not block the ones behind it: apply one at a time, mark the culprit.
        db.session.rollback()
        for event in events:
            _apply_alone(event)
    return len(events)


def _apply(events: list[WebhookEvent], subs: dict[str, Submission]) -> None:
    now = utcnow()
    for event in events:
        sub = subs.get(event.stream_uid)
        if sub is None:
            event.error = UNMATCHED
        else:
            apply_video(sub, event.payload)
        event.processed_at = now


def _apply_alone(event: WebhookEvent) -> None:
    sub = db.session.scalar(select(Submission).where(Submission.stream_uid == event.stream_uid))
    try:
        _apply([event], {sub.stream_uid: sub} if sub else {})
        db.session.commit()
    except OperationalError:
        db.session.rollback()        # transient, as in apply_pending: pending still, not failed
        log.warning("webhook event %s left for the next pass", event.id, exc_info=True)
    except Exception as exc:
        db.session.rollback()
        log.exception("webhook event %s could not be applied", event.id)
        event.error, event.processed_at = f"could not be applied: {type(exc).__name__}: {exc}"[:500], utcnow()
        db.session.commit()


def apply_for(uid: str) -> int:
    """Apply the stored events of one video now (a status poll, ahead of the worker's round):
    the page learns from the webhook without asking Stream. The caller's session commits here."""
    pending = (select(WebhookEvent).where(WebhookEvent.processed_at.is_(None), WebhookEvent.stream_uid == uid)
               .order_by(WebhookEvent.id))
    if db.session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)    # the worker may hold them: it applies them
    events = db.session.scalars(pending).all()
    if not events:
        return 0
    sub = db.session.scalar(select(Submission).where(Submission.stream_uid == uid))
    try:
        _apply(events, {uid: sub} if sub else {})
        db.session.commit()
    except OperationalError:
        db.session.rollback()        # the worker's round applies them
        return 0
    return len(events)


def apply_all() -> int:
    """Everything pending, batch after batch (each worker round)."""
    total = 0
    while n := apply_pending():
        total += n
    return total
