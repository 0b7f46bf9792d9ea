"""What each report page shows, assembled from the services (the views stay thin).

Everything here takes the signed-in user and passes it down: the services scope through authz.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Optional

from flask import current_app

from ..models import Assignment, Company, Course, User
from ..services import costs, reports, roster, usage, usage_collection
from ..services.reports import Period
from . import charts


def prices() -> costs.Prices:
    return costs.Prices.from_settings(current_app.config["SETTINGS"])


# --- buckets for charts -------------------------------------------------------------------------

def _next_key(key: str, unit: str) -> str:
    if unit == "month":
        y, m = map(int, key.split("-"))
        return f"{y + m // 12}-{m % 12 + 1:02d}"
    step = timedelta(days=7 if unit == "week" else 1)
    return (date.fromisoformat(key) + step).isoformat()


def _key_of(day: date, unit: str) -> str:
    if unit == "month":
        return day.strftime("%Y-%m")
    if unit == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


def label_of(key: str, unit: str) -> str:
    """'2026-03' -> 'Mar 2026'; a day -> '5 Mar'; a week -> 'w/c 2 Mar' (week commencing)."""
    if unit == "month":
        return date.fromisoformat(key + "-01").strftime("%b %Y")
    day = date.fromisoformat(key)
    text = f"{day.day} {day.strftime('%b')}"
    return f"w/c {text}" if unit == "week" else text


def fill_keys(keys: list[str], unit: str, until: Optional[date] = None, limit: int = 400) -> list[str]:
    """Every bucket from the first key to the last (or to `until`), so quiet days show as gaps
    rather than vanishing from the axis."""
    if not keys:
        return []
    last = max(keys[-1], _key_of(until, unit)) if until else keys[-1]
    out, key = [], keys[0]
    while key <= last and len(out) < limit:
        out.append(key)
        key = _next_key(key, unit)
    return out


# --- the company page ----------------------------------------------------------------------------

@dataclass
class CostRow:
    month: str
    cost: costs.MonthCost
    course: Optional[str] = None


@dataclass
class CostTable:
    rows: list[CostRow]

    @property
    def storage(self) -> Decimal:
        return sum((r.cost.storage for r in self.rows), Decimal("0.00"))

    @property
    def delivery(self) -> Decimal:
        return sum((r.cost.delivery for r in self.rows), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.storage + self.delivery


def company_costs(user: User, company: Company, period: Period) -> CostTable:
    p = prices()
    return CostTable([CostRow(m.month, costs.month_cost(m.stored_minutes, m.delivered_minutes, p))
                      for m in reports.company_usage_by_month(user, company, period)])


def course_costs(user: User, company: Company, period: Period) -> CostTable:
    p = prices()
    return CostTable([CostRow(m.month, costs.month_cost(m.stored_minutes, m.delivered_minutes, p), m.course)
                      for m in reports.course_usage_by_month(user, company, period)])


def activity_chart(user: User, company: Company, period: Period, today: date) -> charts.Chart:
    unit = reports.chart_unit(period, today)
    points = {p.key: p for p in reports.activity(user, company, period, unit)}
    keys = fill_keys(sorted(points), unit, until=min(period.end or today, today))
    backlog, carried = [], 0
    for k in keys:
        carried = points[k].backlog if k in points else carried
        backlog.append(carried)
    per = {"day": "day", "week": "week", "month": "month"}[unit]
    return charts.grouped_bars(
        f"Submissions and grades per {per}, and the review backlog", [label_of(k, unit) for k in keys],
        [("Submitted", [points[k].submitted if k in points else 0 for k in keys]),
         ("Graded", [points[k].graded if k in points else 0 for k in keys])],
        line=("Awaiting grading", backlog))


def minutes_chart(cost_table: CostTable) -> charts.Chart:
    by_month = {r.month: r.cost for r in cost_table.rows}
    keys = fill_keys(sorted(by_month), "month")
    zero = costs.month_cost(0, 0, prices())
    return charts.grouped_bars(
        "Minutes stored (fullest day) and delivered per month", [label_of(k, "month") for k in keys],
        [("Stored minutes", [float(by_month.get(k, zero).stored_minutes) for k in keys]),
         ("Delivered minutes", [float(by_month.get(k, zero).delivered_minutes) for k in keys])])


def drill(user: User, company: Company, period: Period, now: datetime,
          course: Optional[Course] = None, assignment: Optional[Assignment] = None) -> dict:
    """The drill-down region: the company's courses, a course's assignments, or an assignment's
    students; one template shows all three."""
    if assignment is not None:
        return dict(level="assignment", course=assignment.course, assignment=assignment,
                    students=list(reports.review_status(user, company, period, now,
                                                        assignment_id=assignment.id)))
    if course is not None:
        return dict(level="course", course=course, assignment=None,
                    rows=reports.assignments_progress(user, company, course, period, now))
    return dict(level="company", course=None, assignment=None,
                rows=reports.courses_progress(user, company, period, now))


def company_page(user: User, company: Company, period: Period, now: datetime, **drill_at) -> dict:
    cost_table = company_costs(user, company, period)
    [budget] = usage.budget_status(now, [company.id], prices()) or [None]
    report = reports.company_report(user, company, period, now)
    if drill_at:
        region = drill(user, company, period, now, **drill_at)
    else:   # the courses table is already in the report: no second pass
        region = dict(level="company", course=None, assignment=None, rows=report.courses)
    # The charts are not here: they come in their own request once the page is shown
    # (charts_region), so the tables are not kept waiting for a second pass over the submissions.
    return dict(
        company=company, period=period, summary=report.summary, turnaround=report.turnaround,
        cost_table=cost_table, course_costs=course_costs(user, company, period),
        budget=budget, prices=prices(), drill=region, collected=usage_collection.last_collection(),
    )


def charts_region(user: User, company: Company, period: Period, now: datetime) -> dict:
    return dict(company=company, period=period,
                activity_chart=activity_chart(user, company, period, now.date()),
                minutes_chart=minutes_chart(company_costs(user, company, period)))


def index_page(user: User, period: Period, now: datetime) -> dict:
    rows = reports.companies_progress(user, period, now)
    budgets = {b.company_id: b for b in usage.budget_status(now, [r.id for r in rows], prices())}
    return dict(rows=rows, budgets=budgets, period=period, site_sync=roster.last_site_sync())


# --- the forecast --------------------------------------------------------------------------------

class BadForecast(ValueError):
    """Forecast inputs that cannot be used; the message is for people, `field` the input to fix."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


FORECAST_DEFAULTS = {"onboard": "evenly", "users": "100", "months": "3", "per_month": "", "size_gb": "5",
                     "bitrate_mbps": "5", "views": "1", "videos_per_user": "1", "retention_days": "90"}
FORECAST_LABELS = {"users": "Users", "months": "Months", "size_gb": "Size (GB)", "bitrate_mbps": "Bitrate (Mbps)",
                   "views": "Views per video", "videos_per_user": "Videos per user", "retention_days": "Kept for (days)"}
ONBOARD = ("evenly", "per_month")


def _number(args, name: str, kind=Decimal, minimum=0, maximum=10**7):
    label = FORECAST_LABELS[name]
    raw = (args.get(name) or FORECAST_DEFAULTS[name]).strip().replace(",", "")
    try:
        value = kind(raw)
    except (ValueError, ArithmeticError):
        whole = " whole" if kind is int else ""
        raise BadForecast(f"{label}: '{raw[:20]}' is not a{whole} number.", name) from None
    if (isinstance(value, Decimal) and not value.is_finite()) or not minimum <= value <= maximum:
        raise BadForecast(f"{label} must be between {minimum} and {maximum:,}.", name)
    return value


def forecast_form(args) -> dict:
    """The form as the person filled it in (defaults where they left a field out)."""
    form = {k: (args.get(k) if args.get(k) is not None else v) for k, v in FORECAST_DEFAULTS.items()}
    if args.get("onboard") is None and (args.get("per_month") or "").strip():
        form["onboard"] = "per_month"           # a link from before the choice was explicit
    return form


def forecast_inputs(args) -> tuple[costs.ForecastInputs, dict]:
    """Inputs from the form: users spread evenly over a number of months, or users per month
    ("33, 33, 34"), as the person chose; never one silently overriding the other. Sizes in decimal GB
    and Mbps, as Cloudflare and the seed plan count."""
    form = forecast_form(args)
    onboard = form["onboard"]
    if onboard not in ONBOARD:
        raise BadForecast("Choose how users are onboarded: evenly over months, or per month.", "onboard")
    per_month = (args.get("per_month") or "").strip()
    if args.get("onboard") is None and per_month and (args.get("users") or args.get("months")):
        raise BadForecast("Give either a number of users spread over months, or users per month, not both.",
                          "per_month")
    if onboard == "per_month":
        if not per_month:
            raise BadForecast("Users per month: give one number per month, e.g. 33, 33, 34.", "per_month")
        try:
            joined = tuple(int(x) for x in per_month.replace(";", ",").split(",") if x.strip())
        except ValueError:
            raise BadForecast("Users per month: whole numbers separated by commas, e.g. 33, 33, 34.",
                              "per_month") from None
        if not joined or len(joined) > 120 or any(n < 0 or n > 10**6 for n in joined):
            raise BadForecast("Users per month: 1 to 120 months of 0 to 1,000,000 users.", "per_month")
    else:
        joined = tuple(costs.spread_users(_number(args, "users", int, 0, 10**6),
                                          _number(args, "months", int, 1, 120)))
    size = _number(args, "size_gb", Decimal, Decimal("0.001"), 1000)
    bitrate = _number(args, "bitrate_mbps", Decimal, Decimal("0.01"), 1000)
    try:
        inputs = costs.ForecastInputs(
            new_users_per_month=joined, video_bytes=int(size * 10**9), bitrate_bps=int(bitrate * 10**6),
            views_per_video=costs.exact(_number(args, "views", Decimal, 0, 10**4)),
            videos_per_user=_number(args, "videos_per_user", int, 0, 1000),
            retention_days=_number(args, "retention_days", int, 1, 3650))
    except ValueError as exc:
        raise BadForecast(str(exc)) from None
    return inputs, form
