"""The outbox: every write to Moodle is recorded in the caller's transaction, then sent by the worker.

A unique idempotency key makes a replayed enqueue harmless (the first row wins), so a double click
or a retried request never sends the same thing twice.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import OutboxMessage, OutboxState, utcnow
from .insert_once import insert_once
from .moodle import MoodleClient, MoodleRejected, MoodleUnavailable


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any], *,
            submission_id: int | None = None) -> bool:
    """Add a message unless one with `key` exists (the first one wins); True when it is new."""
    return insert_once(session, OutboxMessage, "idempotency_key", dict(
        kind=kind, idempotency_key=key, payload=payload, submission_id=submission_id)) is not None


# --- the worker -------------------------------------------------------------------------------

LEASE = timedelta(minutes=2)        # a worker that dies mid-batch gives its rows back after this
STOP_STARTING = LEASE / 2           # no new Moodle call this late into a lease: it could outlive it
BATCH = 200


BACKOFF_CAP = 300.0                 # seconds: once Moodle is back, everything lands within 5 minutes


def backoff(attempts: int, *, base: float = 2.0, cap: float = BACKOFF_CAP) -> timedelta:
    """Exponential back-off with full jitter: up to 2 s, 4 s, 8 s … capped at 5 minutes, so many
    rows that failed together do not all come back at the same second."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** min(attempts - 1, 30))) + 0.5)


@dataclass
class Claim:
    messages: list[OutboxMessage]
    in_doubt: set[int]              # claimed before by a worker that never said how it went
    lease_until: datetime


def claim(session: Session, worker_id: str, *, limit: int = BATCH, now: datetime | None = None) -> Claim:
    """Take due rows for this worker and commit the lease at once.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so several workers take disjoint rows without
    waiting on each other. SQLite has no row locks: the UPDATE re-checks the lease and its
    RETURNING says which rows this worker really got (one writer at a time makes that atomic)."""
    now = now or utcnow()
    lease_until = now + LEASE
    due = (select(OutboxMessage.id, OutboxMessage.locked_until)
           .where(OutboxMessage.state == OutboxState.PENDING.value, OutboxMessage.next_attempt_at <= now,
                  or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
           .order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    candidates = session.execute(due).all()
    if not candidates:
        session.rollback()
        return Claim([], set(), lease_until)
    got = set(session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([c.id for c in candidates]), OutboxMessage.state == OutboxState.PENDING.value,
               or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(locked_until=lease_until).returning(OutboxMessage.id),
        execution_options={"synchronize_session": False}))
    session.commit()
    in_doubt = {c.id for c in candidates if c.id in got and c.locked_until is not None}
    messages = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(got))
                                    .order_by(OutboxMessage.id).execution_options(populate_existing=True)))
    return Claim(messages, in_doubt, lease_until)


class AlreadySent(Exception):
    """An admin asked to retry a row Moodle already has: sending it again would repeat it."""


def requeue(message: OutboxMessage) -> None:
    """A dead (or waiting) message goes back to the queue, due now, with a fresh count of tries.
    A delivered one never does (issue 18.7: a retried `done` grade was sent twice)."""
    if message.state == OutboxState.DONE.value:
        raise AlreadySent()
    message.state, message.attempts = OutboxState.PENDING.value, 0
    message.next_attempt_at, message.locked_until, message.last_error = utcnow(), None, None


def _sent(m: OutboxMessage, now: datetime, note: str | None) -> None:
    m.state, m.sent_at, m.last_error = OutboxState.DONE.value, now, note


def _failed(m: OutboxMessage, now: datetime, error: str, *, retry: bool) -> None:
    """Moodle away (unreachable, timeout, 5xx, a page that is not JSON, maintenance) is no reason to
    give up: the row waits, however long, and alerts.py tells an admin when it has waited long
    (OUTBOX_MAX_ATTEMPTS tries). Only a refusal that can never succeed ends it, in words."""
    if retry:
        m.next_attempt_at, m.last_error = now + backoff(m.attempts), error
    else:
        m.state, m.last_error = OutboxState.DEAD.value, error


def run_once(session: Session, moodle: MoodleClient, *, worker_id: str = "worker", limit: int = BATCH) -> int:
    """Claim one batch and send it, one Moodle call per failure unit; returns the rows handled."""
    from . import sync

    got = claim(session, worker_id, limit=limit)
    units = sync.failure_units(got.messages)
    fresh: dict[int, dict] = {}           # grades read back by one unit, reused by the next
    for i, unit in enumerate(units):
        now = utcnow()
        if now > got.lease_until - LEASE + STOP_STARTING:
            # Moodle is slow today: give the rest back rather than risk a second worker sending
            # them too once the lease runs out.
            for m in (m for u in units[i:] for m in u):
                m.locked_until = None
            session.commit()
            return sum(len(u) for u in units[:i])
        for m in unit:
            m.attempts += 1
            m.locked_until = None
        try:
            # A try that timed out may have reached Moodle: read before sending again.
            tried = {m.id for m in unit if m.attempts > 1}
            outcome = sync.send_unit(session, moodle, unit, in_doubt=got.in_doubt | tried, fresh=fresh)
        except MoodleUnavailable as exc:
            for m in unit:
                _failed(m, now, sync.explain(exc), retry=True)
        except MoodleRejected as exc:
            for m in unit:
                _failed(m, now, sync.explain(exc), retry=False)
        else:
            for m in unit:
                result = outcome.get(m.id)
                if isinstance(result, sync.Failed):
                    _failed(m, now, result.error, retry=False)
                else:
                    _sent(m, now, result)
        session.commit()
    return len(got.messages)


def drain(session: Session, moodle: MoodleClient, **kw) -> int:
    """Send until nothing is due (tests and `flask worker --until-idle`)."""
    total = 0
    while (n := run_once(session, moodle, **kw)):
        total += n
    return total
