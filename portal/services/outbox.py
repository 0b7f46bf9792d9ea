"""The outbox: every write to Moodle is recorded in the caller's transaction, then sent by the worker.

A unique idempotency key makes a replayed enqueue harmless (the first row wins), so a double click
or a retried request never sends the same thing twice.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import OutboxMessage, OutboxState, utcnow
from .moodle import MoodleClient, MoodleRejected, MoodleUnavailable


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any], *,
            submission_id: int | None = None) -> OutboxMessage:
    """Add a message unless one with `key` exists; returns the row that will be sent."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, idempotency_key=key, payload=payload, submission_id=submission_id)
    session.add(message)
    return message


# --- the worker -------------------------------------------------------------------------------

LEASE = timedelta(minutes=2)        # a worker that dies mid-batch gives its rows back after this
BATCH = 200


def backoff(attempts: int, *, base: float = 2.0, cap: float = 600.0) -> timedelta:
    """Exponential back-off with full jitter: 2 s, 4 s, 8 s … capped at 10 minutes."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** (attempts - 1))) + 0.5)


def claim(session: Session, worker_id: str, *, limit: int = BATCH, now: datetime | None = None) -> list[OutboxMessage]:
    """Take due rows for this worker. SKIP LOCKED lets several workers share PostgreSQL; on SQLite
    (one writer at a time) the lease column alone keeps two workers apart."""
    now = now or utcnow()
    q = (select(OutboxMessage)
         .where(OutboxMessage.state == OutboxState.PENDING.value, OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
         .order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    for row in rows:
        row.locked_until = now + LEASE
    session.commit()
    return rows


def run_once(session: Session, moodle: MoodleClient, *, worker_id: str = "worker", max_attempts: int = 8) -> int:
    """Claim one batch and send it; returns how many rows were handled."""
    from . import sync

    rows = claim(session, worker_id)
    for group in sync.grouped_by_assignment(rows):
        now = utcnow()
        try:
            sync.send(moodle, group)
        except MoodleUnavailable as exc:
            for m in group:
                m.attempts += 1
                m.last_error = f"Moodle is not answering ({exc}); will try again."
                m.locked_until = None
                if m.attempts >= max_attempts:
                    m.state = OutboxState.DEAD.value
                    m.last_error = f"Moodle did not answer after {m.attempts} tries ({exc})."
                else:
                    m.next_attempt_at = now + backoff(m.attempts)
        except MoodleRejected as exc:
            for m in group:
                m.attempts += 1
                m.state, m.locked_until = OutboxState.DEAD.value, None
                m.last_error = f"Moodle refused it: {exc.message or exc.errorcode} ({exc.errorcode})."
        else:
            for m in group:
                m.state, m.sent_at, m.locked_until = OutboxState.DONE.value, now, None
                m.attempts += 1
        session.commit()
    return len(rows)


def drain(session: Session, moodle: MoodleClient, **kw) -> int:
    """Send until nothing is due (tests and `flask worker --until-idle`)."""
    total = 0
    while (n := run_once(session, moodle, **kw)):
        total += n
    return total
