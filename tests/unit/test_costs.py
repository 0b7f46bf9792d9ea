"""The cost model: the seed plan's table to the cent, cell by cell, and the rules behind it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from portal.services import costs
from portal.services.costs import (LIST_PRICES, ForecastInputs, Prices, cents, forecast, line_cost,
                                   month_cost, over_budget, project_month_end, seed_inputs,
                                   spread_users, video_minutes, whole_minutes)

pytestmark = pytest.mark.dbless

D = Decimal

# Seed plan section 6: month, users onboarded (to date), ~stored minutes, storage, delivery, month
# total (the seed's "Cumulative Cost" column), and the running total the seed's label suggests.
SEED_ROWS = [
    (1, 33, 4400, D("22.00"), D("4.40"), D("26.40"), D("26.40")),
    (2, 66, 8800, D("44.00"), D("4.40"), D("48.40"), D("74.80")),
    (3, 100, 13333, D("66.67"), D("4.53"), D("71.20"), D("146.00")),
]


@pytest.fixture(scope="module")
def seed():
    return forecast(seed_inputs(), LIST_PRICES)


def test_seed_video_is_133_and_a_third_minutes(seed):
    assert seed.minutes_per_video == Fraction(400, 3)   # 5e9 B x 8 / 5e6 bit/s = 8,000 s
    assert seed_inputs().new_users_per_month == (33, 33, 34)


@pytest.mark.parametrize("row", SEED_ROWS, ids=lambda r: f"month{r[0]}")
def test_seed_table_every_cell(seed, row):
    month, users, minutes, storage, delivery, total, running = row
    m = seed.months[month - 1]
    assert (m.month, m.users_to_date, whole_minutes(m.stored_minutes)) == (month, users, minutes)
    # str() compares the cents as printed too: 22.00, not 22 or 22.0000
    assert (str(m.cost.storage), str(m.cost.delivery)) == (str(storage), str(delivery))
    assert (str(m.cost.total), str(m.running_total)) == (str(total), str(running))
    assert m.onboarding


def test_seed_totals_row(seed):
    totals = seed.onboarding_totals
    assert (str(totals.storage), str(totals.delivery), str(totals.total)) == ("132.67", "13.33", "146.00")
    # the table adds up to what it shows: totals are sums of the rounded cells
    assert totals.storage == sum(m.cost.storage for m in seed.onboarding_months)
    assert totals.total == seed.onboarding_months[-1].running_total


def test_seed_exact_minutes_behind_the_rounded_cells(seed):
    stored = [m.stored_minutes for m in seed.months]
    delivered = [m.delivered_minutes for m in seed.months]
    assert stored[:3] == [4400, 8800, Fraction(40000, 3)]
    assert delivered[:3] == [4400, 4400, Fraction(13600, 3)]   # new videos only, one view each


def test_cost_until_retention_expiry(seed):
    # 90 days = 3 months: month 1's videos leave after month 3, month 3's after month 5
    tail = seed.months[3:]
    assert [(m.month, m.new_users, m.videos_stored) for m in tail] == [(4, 0, 67), (5, 0, 34)]
    assert [str(m.cost.storage) for m in tail] == ["44.67", "22.67"]
    assert all(m.cost.delivery == 0 and not m.onboarding for m in tail)
    assert str(seed.until_expiry_totals.total) == "213.34"
    assert seed.months[-1].running_total == seed.until_expiry_totals.total


def test_short_retention_expires_videos_within_the_onboarding_window():
    f = forecast(ForecastInputs(new_users_per_month=(33, 33, 34), retention_days=30))
    assert [m.videos_stored for m in f.months] == [33, 33, 34]
    assert [str(m.cost.storage) for m in f.months] == ["22.00", "22.00", "22.67"]


def test_prices_come_from_the_caller_not_the_code():
    f = forecast(seed_inputs(), Prices(stored=D("10"), delivered=D("2")))
    assert [str(m.cost.total) for m in f.onboarding_months] == ["52.80", "96.80", "142.40"]


def test_views_and_videos_per_user_scale_delivery():
    f = forecast(ForecastInputs(new_users_per_month=(33,), views_per_video=Fraction(5, 2),
                                videos_per_user=2))
    # 66 videos x 133 1/3 min x 2.5 views = 22,000 min -> $22.00; stored 8,800 min -> $44.00
    assert (str(f.months[0].cost.delivery), str(f.months[0].cost.storage)) == ("22.00", "44.00")


def test_spread_users_floor_of_users_to_date():
    assert spread_users(100, 3) == [33, 33, 34]
    assert spread_users(10, 4) == [2, 3, 2, 3]     # to date: 2, 5, 7, 10
    assert sum(spread_users(7, 7)) == 7 and spread_users(0, 2) == [0, 0]
    with pytest.raises(ValueError):
        spread_users(10, 0)


def test_cents_is_half_up_and_exact():
    assert str(cents(Fraction(200, 3))) == "66.67"
    assert str(cents(D("0.005"))) == "0.01" and str(cents(D("0.0049999"))) == "0.00"
    assert str(cents(D("-0.005"))) == "-0.01"
    # 2.675 is below 2.675 as a binary float; the shortest decimal form is what was meant
    assert str(cents(2.675)) == "2.68"
    assert str(cents(0)) == "0.00"


def test_line_cost_at_list_prices():
    assert line_cost(1000, D("5.00")) == D("5.00")
    assert line_cost(1, D("1.00")) == D("0.00")          # a thousandth of a dollar
    assert line_cost(5, D("1.00")) == D("0.01")          # half a cent rounds up


def test_video_minutes_in_decimal_units():
    assert video_minutes(5 * 10**9, 5 * 10**6) == Fraction(400, 3)
    assert video_minutes(60 * 10**6 / 8, 10**6) == 1    # 1 Mbit/s for 60 s
    with pytest.raises(ValueError):
        video_minutes(1, 0)


@pytest.mark.parametrize("bad", [dict(new_users_per_month=()), dict(new_users_per_month=(1, -1)),
                                 dict(new_users_per_month=(1,), bitrate_bps=0),
                                 dict(new_users_per_month=(1,), retention_days=0),
                                 dict(new_users_per_month=(1,), views_per_video=-1)])
def test_forecast_refuses_impossible_inputs(bad):
    with pytest.raises(ValueError):
        ForecastInputs(**bad)


def test_projection_extrapolates_delivery_not_storage():
    # 10 of 30 days in: 2,000 min delivered so far -> 6,000 projected; storage stays at the peak
    p = project_month_end(4400, 2000, 10, date(2026, 11, 1), LIST_PRICES)
    assert (p.stored_minutes, p.delivered_minutes) == (4400, 6000)
    assert (str(p.storage), str(p.delivery), str(p.total)) == ("22.00", "6.00", "28.00")
    # February 2026 has 28 days; no day counted yet: storage alone
    assert project_month_end(1000, 0, 0, date(2026, 2, 1), LIST_PRICES).total == D("5.00")
    assert project_month_end(0, 280, 14, date(2026, 2, 1), LIST_PRICES).delivered_minutes == 560


def test_over_budget_only_when_passed():
    assert not over_budget(D("28.00"), 2800)
    assert over_budget(D("28.01"), 2800)
    assert not over_budget(D("1000000"), None)


def test_month_cost_total_is_sum_of_line_items():
    c = month_cost(Fraction(1, 3) * 1000, Fraction(1, 3) * 1000, LIST_PRICES)
    assert (str(c.storage), str(c.delivery), str(c.total)) == ("1.67", "0.33", "2.00")


def test_exact_accepts_the_types_money_arrives_in():
    assert costs.exact("1.10") == Fraction(11, 10) and costs.exact(0.1) == Fraction(1, 10)
