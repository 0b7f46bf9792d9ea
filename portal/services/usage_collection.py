"""The worker's usage collection: stored minutes from the portal's own records of what is at
Stream, delivered minutes from Cloudflare's GraphQL Analytics API, for every day not yet final.

A day is final once its delivered minutes were read a day after it ended (analytics settle
late); until then each run fills it again, which is harmless: a day's figures are replaced,
never added to. Days missed while the worker was down, or while the analytics could not be
read, are back-filled on the next run, as far back as Stream keeps analytics (90 days). One run
costs one analytics query per 31 days asked (contracts/cloudflare-stream/
analytics-captions-downloads.md §2.5), far inside the 300 per 5 minutes allowed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Submission, UsageCollectedDay, UsageRun
from . import usage
from .stream import ANALYTICS_RETENTION, StreamClient, StreamError

log = logging.getLogger(__name__)

SETTLE = timedelta(days=1)
KEEP_RUNS = timedelta(days=30)
STORED_SOURCE = "the portal's records of the videos at Stream"
DELIVERED_SOURCE = "Cloudflare Stream analytics"


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), timezone.utc)


def days_due(now: datetime) -> list[date]:
    """Days whose usage is not final yet, oldest first; today is always among them."""
    today = now.astimezone(timezone.utc).date()
    oldest = today - ANALYTICS_RETENTION + timedelta(days=1)
    first = db.session.scalar(select(func.min(Submission.created_at)))
    start = max(oldest, first.astimezone(timezone.utc).date()) if first else today
    done = {row.day: row.delivered_at for row in db.session.scalars(
        select(UsageCollectedDay).where(UsageCollectedDay.day >= start))}
    due = []
    day = start
    while day <= today:
        read = done.get(day)
        if read is None or read < _end_of(day) + SETTLE:
            due.append(day)
        day += timedelta(days=1)
    return due


@dataclass(frozen=True)
class RunResult:
    days: list[date]
    delivered: bool
    problem: Optional[str]


def collect_due(stream: StreamClient, now: datetime | None = None) -> RunResult:
    """Fill every day due; commits. Without analytics (token without Account Analytics Read,
    Stream away) stored minutes are still filled and the days stay due for delivered minutes."""
    now = now or datetime.now(timezone.utc)
    due = days_due(now)
    problem = None
    try:
        viewed = stream.minutes_viewed(due[0], now.astimezone(timezone.utc).date() + timedelta(days=1))
    except StreamError as exc:
        viewed, problem = None, exc.message
        log.warning("usage: delivered minutes not read from Stream: %s", exc.message)
    for day in due:
        per_uid = None if viewed is None else \
            {uid: minutes for (uid, d), minutes in viewed.items() if d == day.isoformat()}
        usage.collect(day, per_uid)
        row = db.session.get(UsageCollectedDay, day)
        if row is None:
            row = UsageCollectedDay(day=day, collected_at=now)
            db.session.add(row)
        row.collected_at = now
        if viewed is not None:
            row.delivered_at = now
    db.session.add(UsageRun(finished_at=now, first_day=due[0], last_day=due[-1], problem=problem,
                            delivered_source=None if viewed is None else DELIVERED_SOURCE))
    db.session.execute(delete(UsageRun).where(UsageRun.finished_at < now - KEEP_RUNS))
    db.session.commit()
    return RunResult(due, viewed is not None, problem)


@dataclass(frozen=True)
class LastCollection:
    at: datetime
    stored_source: str
    delivered_source: Optional[str]
    delivered_at: Optional[datetime]      # the last run that did read delivered minutes
    problem: Optional[str]


def last_collection() -> Optional[LastCollection]:
    """What the cost pages say about where their figures come from; None before the first run."""
    last = db.session.scalar(select(UsageRun).order_by(UsageRun.finished_at.desc(), UsageRun.id.desc()).limit(1))
    if last is None:
        return None
    delivered_at = last.finished_at if last.delivered_source else db.session.scalar(
        select(func.max(UsageRun.finished_at)).where(UsageRun.delivered_source.is_not(None)))
    return LastCollection(last.finished_at, STORED_SOURCE, last.delivered_source or None, delivered_at,
                          last.problem)
