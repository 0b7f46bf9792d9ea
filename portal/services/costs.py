"""What Cloudflare Stream costs: the price model, the forecast and the month-end projection.

Pure functions, no database. Prices come from configuration (Settings.price_stored and
.price_delivered, USD per 1,000 minutes; Cloudflare's list prices are $5 stored per month and $1
delivered).

Rounding, stated once (`cents`): quantities stay exact (Fraction) until a price meets a number of
minutes in one *line item* - one kind of usage (stored or delivered), one month, one scope (a
course, a company, a forecast month). That line item is rounded half-up to the cent. Every total
is a sum of rounded line items, so a table adds up to exactly what it shows, as an invoice does.

Stored minutes of a month are the month's fullest day (storage is prepaid capacity, so a month must
hold its peak); delivered minutes of a month are the sum of its days.

The forecast model, which reproduces the seed plan's table (section 6) to the cent:
- minutes per video = bytes x 8 / bitrate / 60, with decimal units as Cloudflare and the seed count
  them: 5 GB = 5x10^9 bytes at 5 Mbps = 5x10^6 bit/s is 8,000 s = 133 1/3 minutes.
- Users are onboarded per month; "100 users over 3 months" spreads as whole users to date,
  floor(100 x m / 3) = 33, 66, 100 (33, 33 and 34 new). Each new user uploads `videos_per_user`
  videos in the month they join.
- A video is stored from its upload month for R = ceil(retention_days / 30) months (90 days: 3), so
  month m stores every video uploaded in months m-R+1..m. Storage cost = stored minutes x price.
- Delivery counts each month's NEW videos, each watched in full `views_per_video` times in that
  month (the review). Delivery cost = delivered minutes x price.
- Month total = storage + delivery line items. The seed's "Cumulative Cost" column is really this
  monthly total (26.40 + 48.40 + 71.20 = 146.00); we show it and the running total beside it.
- "Cost until retention expiry": the months go on, with no new users, until the last video has
  expired; the grand total over all of them.

Seed inputs (100 users x 5 GB at 5 Mbps over 3 months, 1 view, 90 days) give:
  month 1: 33 users,  4,400 min stored ($22.00), 4,400 min delivered ($4.40), $26.40
  month 2: 66 users,  8,800 min stored ($44.00), 4,400 min delivered ($4.40), $48.40
  month 3: 100 users, 13,333 1/3 min ($66.67),   4,533 1/3 delivered ($4.53), $71.20
  onboarding total: $132.67 + $13.33 = $146.00; then months 4 and 5 store 8,933 1/3 and
  4,533 1/3 minutes ($44.67, $22.67): $213.34 until the last video expires.
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Sequence, Union

Number = Union[int, float, Decimal, Fraction, str]

CENT = Decimal("0.01")
MINUTES_PER_PRICE_UNIT = 1000     # prices are per 1,000 minutes
DAYS_PER_RETENTION_MONTH = 30


def exact(value: Number) -> Fraction:
    """A quantity as an exact fraction; floats by their shortest decimal form (what was stored)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def cents(amount: Number) -> Decimal:
    """THE rounding: an amount of dollars to the cent, half-up (away from zero on a tie).
    Exact: the cent is decided on the fraction, never on a float or a truncated division."""
    hundredths = exact(amount) * 100
    whole = math.floor(abs(hundredths) + Fraction(1, 2))
    return Decimal(whole if hundredths >= 0 else -whole) * CENT


def whole_minutes(minutes: Number) -> int:
    """Minutes shown to people (the seed's "~13,333 min"): half-up to the minute."""
    return math.floor(exact(minutes) + Fraction(1, 2))


@dataclass(frozen=True)
class Prices:
    stored: Decimal      # USD per 1,000 minutes stored, per month
    delivered: Decimal   # USD per 1,000 minutes delivered

    @classmethod
    def from_settings(cls, settings) -> "Prices":
        return cls(stored=settings.price_stored, delivered=settings.price_delivered)


LIST_PRICES = Prices(stored=Decimal("5.00"), delivered=Decimal("1.00"))


def line_cost(minutes: Number, price_per_1000: Decimal) -> Decimal:
    """One line item: minutes at a price per 1,000 minutes, rounded to the cent."""
    return cents(exact(minutes) * exact(price_per_1000) / MINUTES_PER_PRICE_UNIT)


@dataclass(frozen=True)
class MonthCost:
    stored_minutes: Fraction
    delivered_minutes: Fraction
    storage: Decimal
    delivery: Decimal

    @property
    def total(self) -> Decimal:
        return self.storage + self.delivery


def month_cost(stored_minutes: Number, delivered_minutes: Number, prices: Prices) -> MonthCost:
    stored, delivered = exact(stored_minutes), exact(delivered_minutes)
    return MonthCost(stored, delivered, line_cost(stored, prices.stored),
                     line_cost(delivered, prices.delivered))


def project_month_end(peak_stored_minutes: Number, delivered_minutes_to_date: Number,
                      days_counted: int, month: date, prices: Prices) -> MonthCost:
    """This month's cost if it goes on as it has: the storage held so far stays (it is already
    prepaid capacity) and delivery continues at its daily rate so far."""
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    if days_counted <= 0:
        return month_cost(peak_stored_minutes, 0, prices)
    delivered = exact(delivered_minutes_to_date) * days_in_month / min(days_counted, days_in_month)
    return month_cost(peak_stored_minutes, delivered, prices)


def over_budget(projected_total: Decimal, budget_cents: int | None) -> bool:
    """An alert when the projection passes the budget (reaching it exactly is within budget)."""
    return budget_cents is not None and projected_total * 100 > budget_cents


# --- the forecast ---------------------------------------------------------------------------

def video_minutes(size_bytes: Number, bitrate_bps: Number) -> Fraction:
    """Playing time of a video of `size_bytes` at an average `bitrate_bps` (bits per second)."""
    if exact(bitrate_bps) <= 0:
        raise ValueError("bitrate must be positive")
    return exact(size_bytes) * 8 / exact(bitrate_bps) / 60


def spread_users(total: int, months: int) -> list[int]:
    """`total` users joining evenly over `months`, in whole users: new users per month, so that
    the users to date are floor(total x m / months) (100 over 3: 33, 33, 34)."""
    if months < 1 or total < 0:
        raise ValueError("months must be at least 1 and users not negative")
    to_date = [total * m // months for m in range(months + 1)]
    return [to_date[m] - to_date[m - 1] for m in range(1, months + 1)]


def retention_months(retention_days: int) -> int:
    if retention_days < 1:
        raise ValueError("retention must be at least one day")
    return math.ceil(retention_days / DAYS_PER_RETENTION_MONTH)


@dataclass(frozen=True)
class ForecastInputs:
    new_users_per_month: Sequence[int]
    video_bytes: int = 5 * 10**9
    bitrate_bps: int = 5 * 10**6
    views_per_video: Fraction = Fraction(1)
    videos_per_user: int = 1
    retention_days: int = 90

    def __post_init__(self):
        if not self.new_users_per_month or any(n < 0 for n in self.new_users_per_month):
            raise ValueError("give the users onboarded in each month, none negative")
        if self.video_bytes <= 0 or self.bitrate_bps <= 0:
            raise ValueError("video size and bitrate must be positive")
        if self.views_per_video < 0 or self.videos_per_user < 0:
            raise ValueError("views and videos per user cannot be negative")
        retention_months(self.retention_days)


@dataclass(frozen=True)
class ForecastMonth:
    month: int                 # 1-based
    new_users: int
    users_to_date: int
    videos_stored: int
    cost: MonthCost
    running_total: Decimal
    onboarding: bool           # within the months users join (the seed's table)

    @property
    def stored_minutes(self) -> Fraction:
        return self.cost.stored_minutes

    @property
    def delivered_minutes(self) -> Fraction:
        return self.cost.delivered_minutes


@dataclass(frozen=True)
class Totals:
    storage: Decimal
    delivery: Decimal

    @property
    def total(self) -> Decimal:
        return self.storage + self.delivery


def _totals(months: Sequence[ForecastMonth]) -> Totals:
    return Totals(sum((m.cost.storage for m in months), Decimal("0.00")),
                  sum((m.cost.delivery for m in months), Decimal("0.00")))


@dataclass(frozen=True)
class Forecast:
    inputs: ForecastInputs
    prices: Prices
    minutes_per_video: Fraction
    months: list[ForecastMonth]

    @property
    def onboarding_months(self) -> list[ForecastMonth]:
        return [m for m in self.months if m.onboarding]

    @property
    def onboarding_totals(self) -> Totals:
        return _totals(self.onboarding_months)

    @property
    def until_expiry_totals(self) -> Totals:
        return _totals(self.months)


def forecast(inputs: ForecastInputs, prices: Prices = LIST_PRICES) -> Forecast:
    per_video = video_minutes(inputs.video_bytes, inputs.bitrate_bps)
    keep = retention_months(inputs.retention_days)
    joined = list(inputs.new_users_per_month)
    horizon = len(joined) + keep - 1          # the last joiners' videos expire after this month
    months: list[ForecastMonth] = []
    running = Decimal("0.00")
    for m in range(1, horizon + 1):
        new = joined[m - 1] if m <= len(joined) else 0
        stored_videos = sum(joined[i - 1] for i in range(max(1, m - keep + 1), min(m, len(joined)) + 1)) \
            * inputs.videos_per_user
        cost = month_cost(stored_videos * per_video,
                          new * inputs.videos_per_user * per_video * exact(inputs.views_per_video), prices)
        running += cost.total
        months.append(ForecastMonth(month=m, new_users=new, users_to_date=sum(joined[:m]),
                                    videos_stored=stored_videos, cost=cost, running_total=running,
                                    onboarding=m <= len(joined)))
    return Forecast(inputs=inputs, prices=prices, minutes_per_video=per_video, months=months)


def seed_inputs() -> ForecastInputs:
    """The seed plan's assumptions: 100 users x 5 GB at 5 Mbps over 3 months, one view each."""
    return ForecastInputs(new_users_per_month=tuple(spread_users(100, 3)))
