"""Usage per course and day (the `usage` table), and the budget alerts computed from it.

Stored minutes come from the portal's own submissions, so any past day can be filled again:
a video counts on a day when it was in Stream at any moment of it (ready before the day ended,
not deleted before it began). Delivered minutes only Stream knows: its minutes-viewed analytics,
per video and day (Cloudflare's GraphQL Analytics API), reach us through the Stream client: the
worker runs usage_collection.collect_due() on its schedule, `flask usage collect` fills chosen
days by hand (re-running a day replaces its figures).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Callable, Mapping, Optional

from flask import current_app
from sqlalchemy import func, literal, or_, select

from ..extensions import db
from ..models import Assignment, Company, Course, Submission, UsageDay, UTCDateTime, VideoStatus
from . import costs

log = logging.getLogger(__name__)

# stream uid -> minutes delivered on the day asked
DeliveredSource = Callable[[date], Mapping[str, float]]

IN_STREAM = (VideoStatus.PROCESSING.value, VideoStatus.READY.value, VideoStatus.DELETED.value)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), timezone.utc)
    return start, start + timedelta(days=1)


def stored_minutes_by_course(day: date) -> dict[int, float]:
    start, end = _day_bounds(day)
    arrived = func.coalesce(Submission.ready_at, Submission.uploaded_at, Submission.created_at)
    stmt = (select(Assignment.course_id, func.sum(Submission.duration_seconds))
            .join(Assignment, Submission.assignment_id == Assignment.id)
            .where(Submission.duration_seconds.is_not(None),
                   Submission.status.in_(IN_STREAM),
                   arrived < literal(end, UTCDateTime()),
                   or_(Submission.deleted_at.is_(None), Submission.deleted_at >= start),
                   # deleted with no time recorded: we cannot say until when it was stored
                   or_(Submission.status != VideoStatus.DELETED.value, Submission.deleted_at.is_not(None)))
            .group_by(Assignment.course_id))
    return {course_id: float(seconds) / 60 for course_id, seconds in db.session.execute(stmt)}


def delivered_minutes_by_course(minutes_by_uid: Mapping[str, float]) -> tuple[dict[int, float], float]:
    """Stream's per-video minutes attributed to courses; also the minutes of videos the portal
    does not know (uploaded some other way), which no course can be charged for."""
    by_course: dict[int, float] = {}
    uids = [uid for uid, minutes in minutes_by_uid.items() if minutes]
    known: dict[str, int] = {}
    for i in range(0, len(uids), 500):       # bounded IN lists
        chunk = uids[i:i + 500]
        known.update(db.session.execute(
            select(Submission.stream_uid, Assignment.course_id)
            .join(Assignment, Submission.assignment_id == Assignment.id)
            .where(Submission.stream_uid.in_(chunk))).tuples().all())
    unattributed = 0.0
    for uid in uids:
        minutes = float(minutes_by_uid[uid])
        if uid in known:
            by_course[known[uid]] = by_course.get(known[uid], 0.0) + minutes
        else:
            unattributed += minutes
    return by_course, unattributed


@dataclass(frozen=True)
class Collected:
    day: date
    courses: int
    stored_minutes: float
    delivered_minutes: Optional[float]    # None: no analytics source
    unattributed_minutes: float = 0.0


def collect(day: date, delivered: Optional[Mapping[str, float]] = None) -> Collected:
    """Fill the usage rows of `day`. Without `delivered`, delivered minutes already recorded are
    kept (the analytics may be collected later, or not at all). The caller commits."""
    stored = stored_minutes_by_course(day)
    by_course, unattributed = delivered_minutes_by_course(delivered) if delivered is not None else ({}, 0.0)
    rows = {r.course_id: r for r in db.session.scalars(select(UsageDay).where(UsageDay.day == day))}
    for course_id in set(stored) | set(by_course) | set(rows):
        row = rows.get(course_id)
        if row is None:
            row = UsageDay(course_id=course_id, day=day, minutes_stored=0.0, minutes_delivered=0.0)
            db.session.add(row)
        row.minutes_stored = stored.get(course_id, 0.0)
        if delivered is not None:
            row.minutes_delivered = by_course.get(course_id, 0.0)
    db.session.flush()
    if unattributed:
        log.warning("usage %s: %.1f delivered minutes belong to videos the portal does not know",
                    day, unattributed)
    return Collected(day, len(set(stored) | set(by_course)), sum(stored.values()),
                     sum(by_course.values()) if delivered is not None else None, unattributed)


def stream_delivered_source() -> DeliveredSource:
    """Stream's minutes-viewed analytics per video and day: the one place usage talks to Stream."""
    from flask import current_app

    from .stream import client_from_settings

    client = client_from_settings(current_app.config["SETTINGS"])

    def fetch(day: date) -> Mapping[str, float]:
        return {uid: minutes for (uid, d), minutes in client.minutes_viewed(day, day + timedelta(days=1)).items()
                if d == day.isoformat()}
    return fetch


# --- the month-end projection and budget alerts --------------------------------------------

@dataclass(frozen=True)
class BudgetStatus:
    company_id: int
    company: str
    month: date                   # first day of the month
    budget: Optional[Decimal]     # None: no budget set
    projected: costs.MonthCost
    days_counted: int

    @property
    def over(self) -> bool:
        return costs.over_budget(self.projected.total, None if self.budget is None else int(self.budget * 100))


def _prices(prices: Optional[costs.Prices]) -> costs.Prices:
    return prices or costs.Prices.from_settings(current_app.config["SETTINGS"])


def budget_status(now: datetime, company_ids: Optional[list[int]] = None,
                  prices: Optional[costs.Prices] = None) -> list[BudgetStatus]:
    """This month's month-end projection per company (all, or `company_ids`), in one statement."""
    prices = _prices(prices)
    today = now.astimezone(timezone.utc).date()
    first = today.replace(day=1)
    # How far this month has been collected, site-wide: a company with nothing that day has no row.
    last = db.session.scalar(select(func.max(UsageDay.day)).where(UsageDay.day >= first, UsageDay.day <= today))
    days_counted = _as_date(last).day if last is not None else 0
    daily = (select(Course.company_id.label("company_id"), UsageDay.day,
                    func.sum(UsageDay.minutes_stored).label("stored"),
                    func.sum(UsageDay.minutes_delivered).label("delivered"))
             .join(Course, UsageDay.course_id == Course.id)
             .where(UsageDay.day >= first, UsageDay.day <= today)
             .group_by(Course.company_id, UsageDay.day).subquery("daily"))
    stmt = (select(Company.id, Company.name, Company.monthly_budget_cents,
                   func.max(daily.c.stored), func.sum(daily.c.delivered))
            .outerjoin(daily, daily.c.company_id == Company.id)
            .group_by(Company.id, Company.name, Company.monthly_budget_cents)
            .order_by(Company.name, Company.id))
    if company_ids is not None:
        stmt = stmt.where(Company.id.in_(company_ids))
    out = []
    for cid, name, budget_cents, stored, delivered in db.session.execute(stmt):
        projected = costs.project_month_end(stored or 0, delivered or 0, days_counted, first, prices)
        budget = None if budget_cents is None else (Decimal(budget_cents) / 100).quantize(costs.CENT)
        out.append(BudgetStatus(cid, name, first, budget, projected, days_counted))
    return out


def budget_alerts(now: datetime, prices: Optional[costs.Prices] = None) -> list[BudgetStatus]:
    """Companies whose month-end projection passes their monthly budget (for operations alerts)."""
    return [s for s in budget_status(now, prices=prices) if s.over]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
