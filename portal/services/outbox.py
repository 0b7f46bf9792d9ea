"""The outbox: every write to Moodle is recorded in the caller's transaction, then sent by the worker.

A unique idempotency key makes a replayed enqueue harmless (the first row wins), so a double click
or a retried request never sends the same thing twice.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OutboxMessage


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any], *,
            submission_id: int | None = None) -> OutboxMessage:
    """Add a message unless one with `key` exists; returns the row that will be sent."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, idempotency_key=key, payload=payload, submission_id=submission_id)
    session.add(message)
    return message
