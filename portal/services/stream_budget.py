"""Cloudflare's API budget: 1,200 requests per 5 minutes per token, shared by every page, worker
and process of the site (240 a minute on average). Every request the Stream client sends is
counted here per UTC minute in the database (`stream_api_calls`), so all processes see one
figure; the alerts warn before the budget is near, and status polls stop asking Stream when
their share of the minute is used up (they answer from the portal's own state instead).

Counting is in memory first and written on the app context's teardown (after the request's
own commit) and by the worker each round: a request never waits on a second write, and a
counter write that fails is kept and written next time.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app
from sqlalchemy import bindparam, func, select, text, update

from ..extensions import db
from ..models import StreamApiMinute, StreamPoll, UTCDateTime
from .insert_once import insert_once

log = logging.getLogger(__name__)

LIMIT_PER_5_MINUTES = 1200          # Cloudflare API rate limit per user/token
WINDOW = timedelta(minutes=5)
ALERT_SHARE = 0.75                  # alert when the last 5 minutes used this much of the budget
POLL_SHARE = 0.5                    # status polls may use this much of a minute's budget

_pending: dict[datetime, int] = {}
_lock = threading.Lock()
_UPSERT = text("INSERT INTO stream_api_calls (minute, calls) VALUES (:minute, :calls) "
               "ON CONFLICT (minute) DO UPDATE SET calls = stream_api_calls.calls + excluded.calls"
               ).bindparams(bindparam("minute", type_=UTCDateTime()))


def _minute(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(second=0, microsecond=0)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def count_call() -> None:
    """One request to Cloudflare (the Stream client calls this for each attempt)."""
    minute = _minute(_now())
    with _lock:
        _pending[minute] = _pending.get(minute, 0) + 1


def flush() -> None:
    """Write the counted requests to the shared table, on a connection of their own."""
    with _lock:
        taken = dict(_pending)
        _pending.clear()
    if not taken:
        return
    try:
        with db.engine.begin() as conn:
            for minute, calls in sorted(taken.items()):
                conn.execute(_UPSERT, {"minute": minute, "calls": calls})
    except Exception:      # the count is kept for the next flush; counting never breaks a page
        log.warning("could not record %d Stream API call(s); kept for later", sum(taken.values()), exc_info=True)
        with _lock:
            for minute, calls in taken.items():
                _pending[minute] = _pending.get(minute, 0) + calls


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _flush(_exc):
        if _pending:
            db.session.remove()          # the request's transaction is over: no lock held on SQLite
            flush()


def calls_since(since: datetime) -> int:
    """Requests sent since `since` (whole minutes), by every process, including this one's unwritten."""
    start = _minute(since)
    stored = db.session.scalar(select(func.coalesce(func.sum(StreamApiMinute.calls), 0))
                               .where(StreamApiMinute.minute >= start)) or 0
    with _lock:
        mine = sum(n for m, n in _pending.items() if m >= start)
    return int(stored) + mine


def per_minute(now: datetime, minutes: int = 60) -> list[tuple[datetime, int]]:
    rows = db.session.execute(select(StreamApiMinute.minute, StreamApiMinute.calls)
                              .where(StreamApiMinute.minute >= _minute(now) - timedelta(minutes=minutes))
                              .order_by(StreamApiMinute.minute)).all()
    return [(m, c) for m, c in rows]


def budget_per_minute() -> int:
    return current_app.config["SETTINGS"].stream_api_budget


def last_five_minutes(now: datetime | None = None) -> int:
    return calls_since((now or _now()) - WINDOW + timedelta(minutes=1))


def near_limit(now: datetime | None = None) -> int:
    """Requests in the last 5 minutes when they pass ALERT_SHARE of the budget, else 0 (an alert count)."""
    used = last_five_minutes(now)
    return used if used >= ALERT_SHARE * 5 * budget_per_minute() else 0


def may_ask_for(uid: str, interval: timedelta, now: datetime | None = None) -> bool:
    """Whether a status poll may ask Stream about `uid` now: nobody asked for it within `interval`
    (any user, any process) and polls have not used their share of this minute's budget. Claims
    the turn atomically and commits it."""
    now = now or _now()
    asked = db.session.scalar(select(StreamPoll.asked_at).where(StreamPoll.stream_uid == uid))
    if asked is not None and asked > now - interval:
        return False                     # most polls end here, with one read and no write
    if calls_since(now) >= POLL_SHARE * budget_per_minute():
        return False
    if insert_once(db.session, StreamPoll, "stream_uid", {"stream_uid": uid, "asked_at": now}) is None:
        claimed = db.session.execute(update(StreamPoll).where(
            StreamPoll.stream_uid == uid, StreamPoll.asked_at <= now - interval).values(asked_at=now)).rowcount
        if not claimed:
            db.session.rollback()
            return False
    db.session.commit()
    return True
