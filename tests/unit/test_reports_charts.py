"""Chart geometry, chart buckets and the forecast form: pure functions, no database."""
from __future__ import annotations

from datetime import date

import pytest

from portal.reports import charts, pages
from portal.reports.pages import BadForecast, fill_keys, forecast_inputs, label_of

pytestmark = pytest.mark.dbless


def test_nice_ceiling():
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 1, 7, 13, 101, 4400)] == [1, 0.5, 1, 10, 20, 200, 5000]


def test_bars_scale_to_the_plot_and_stay_inside_it():
    c = charts.grouped_bars("t", ["a", "b"], [("Submitted", [10, 5]), ("Graded", [0, 10])],
                            line=("Backlog", [10, 5]))
    assert not c.empty and len(c.bars) == 4 and len(c.lines) == 1
    tallest = max(b.height for b in c.bars)
    assert tallest == pytest.approx(c.baseline - charts.TOP)          # 10 of a 10 axis: full height
    half = next(b for b in c.bars if b.title == "b: 5 submitted")
    assert half.height == pytest.approx(tallest / 2, abs=0.2)
    for b in c.bars:
        assert charts.LEFT <= b.x and b.x + b.width <= c.plot_right and b.y + b.height <= c.baseline + 0.1
    assert [label for _, label in c.y_ticks] == ["0", "5", "10"]
    odd = charts.grouped_bars("t", ["a"], [("x", [4400])])
    assert [label for _, label in odd.y_ticks] == ["0", "2,000", "4,000", "6,000"]
    assert c.legend == [(0, "Submitted"), (1, "Graded"), (2, "Backlog")]
    assert c.lines[0].dots[1][2] == "b: 5 backlog"


def test_empty_chart_says_so():
    assert charts.grouped_bars("t", [], [("x", [])]).empty
    assert charts.grouped_bars("t", ["a"], [("x", [0])]).empty


def test_x_labels_are_thinned():
    c = charts.grouped_bars("t", [str(i) for i in range(60)], [("x", [1] * 60)], max_labels=12)
    assert len(c.x_labels) == 12


def test_fill_keys_by_unit():
    assert fill_keys(["2026-01-30", "2026-02-02"], "day") == ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
    assert fill_keys(["2025-11", "2026-02"], "month") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert fill_keys(["2026-03-02"], "week", until=date(2026, 3, 18)) == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert fill_keys([], "day") == []


def test_labels():
    assert (label_of("2026-03", "month"), label_of("2026-03-05", "day"), label_of("2026-03-02", "week")) == \
        ("Mar 2026", "5 Mar", "w/c 2 Mar")


def test_forecast_form_defaults_are_the_seed():
    inputs, form = forecast_inputs({})
    assert inputs.new_users_per_month == (33, 33, 34)
    assert (inputs.video_bytes, inputs.bitrate_bps, inputs.retention_days) == (5 * 10**9, 5 * 10**6, 90)
    assert form["users"] == "100"


def test_forecast_form_counts_only_the_chosen_way_of_onboarding():
    inputs, _ = forecast_inputs({"onboard": "per_month", "per_month": "10; 20, 30", "users": "999",
                                 "size_gb": "1.5", "views": "2.5"})
    assert inputs.new_users_per_month == (10, 20, 30)
    assert inputs.video_bytes == 1_500_000_000 and float(inputs.views_per_video) == 2.5
    inputs, _ = forecast_inputs({"onboard": "evenly", "per_month": "50, 60", "users": "100", "months": "3"})
    assert inputs.new_users_per_month == (33, 33, 34)
    inputs, form = forecast_inputs({"per_month": "50, 60"})              # an old link: per month it is
    assert inputs.new_users_per_month == (50, 60) and form["onboard"] == "per_month"


@pytest.mark.parametrize("args,words", [
    ({"per_month": "50, 60", "users": "100"}, "not both"),              # never one silently overriding the other
    ({"onboard": "per_month", "per_month": ""}, "one number per month"),
    ({"onboard": "sometimes"}, "Choose how users are onboarded"),
    ({"users": "many"}, "Users: 'many' is not a whole number")])
def test_forecast_form_ambiguity_is_refused_in_words(args, words):
    with pytest.raises(BadForecast, match=words):
        forecast_inputs(args)


@pytest.mark.parametrize("args", [{"users": "x"}, {"per_month": "1,a"}, {"months": "0"}, {"size_gb": "-1"},
                                  {"bitrate_mbps": "0"}, {"retention_days": "0"}, {"users": "1e9"},
                                  {"size_gb": "NaN"}, {"per_month": ",".join(["1"] * 121)}])
def test_forecast_form_refuses_nonsense(args):
    with pytest.raises(BadForecast):
        forecast_inputs(args)


def test_defaults_cover_every_field():
    assert set(pages.FORECAST_DEFAULTS) == {"onboard", "users", "months", "per_month", "size_gb", "bitrate_mbps",
                                            "views", "videos_per_user", "retention_days"}
