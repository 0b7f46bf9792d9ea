"""Usage collection (stored minutes from submissions, delivered from Stream's analytics) and the
budget alerts built on it, on both databases."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.models import UsageDay
from portal.services import usage
from portal.services.costs import LIST_PRICES
from tests.integration.reports_world import DAY, add_usage, build


@pytest.fixture
def w(make, db):
    return build(make, db)


def usage_rows(db, day):
    return {r.course_id: (r.minutes_stored, r.minutes_delivered)
            for r in db.session.scalars(select(UsageDay).where(UsageDay.day == day))}


def test_stored_minutes_per_course_and_day(w, db):
    """The day before NOW: Geology holds s1X s2X1 s2X2 (600 s each), Biology s4Z, Secret sbW;
    s1Y is still processing with no duration, s3X and s5Z never arrived."""
    day = (w.now - DAY).date()
    assert usage.stored_minutes_by_course(day) == {w.geo.id: 30.0, w.bio.id: 10.0, w.secret.id: 10.0}
    # ten days ago s2X2 (-9d) had not arrived yet
    assert usage.stored_minutes_by_course((w.now - 10 * DAY).date())[w.geo.id] == 20.0


def test_deleted_video_counts_on_its_last_day_only(w, db):
    day = (w.now - 2 * DAY).date()
    w.s4Z.status, w.s4Z.deleted_at = "deleted", datetime.combine(day, time(9), timezone.utc)
    db.session.commit()
    assert usage.stored_minutes_by_course(day)[w.bio.id] == 10.0
    assert w.bio.id not in usage.stored_minutes_by_course(day + timedelta(days=1))


def test_collect_is_repeatable_and_keeps_delivered_without_analytics(w, db):
    day = (w.now - DAY).date()
    result = usage.collect(day, {w.s1X.stream_uid: 12.5, w.s4Z.stream_uid: 3.0, "not-ours": 7.0})
    db.session.commit()
    assert (result.courses, result.unattributed_minutes) == (3, 7.0)
    assert usage_rows(db, day) == {w.geo.id: (30.0, 12.5), w.bio.id: (10.0, 3.0), w.secret.id: (10.0, 0.0)}
    # a later run without analytics refreshes storage and leaves delivery alone
    w.s2X2.status, w.s2X2.deleted_at = "deleted", w.now - 3 * DAY
    db.session.commit()
    usage.collect(day)
    db.session.commit()
    assert usage_rows(db, day)[w.geo.id] == (20.0, 12.5)
    assert db.session.query(UsageDay).count() == 3        # replaced, not added


def test_cli_collect_backfills_days(app, w, db):
    runner = app.test_cli_runner()
    last = (w.now - DAY).date()
    result = runner.invoke(args=["usage", "collect", "--day", last.isoformat(), "--days", "3", "--no-stream"])
    assert result.exit_code == 0, result.output
    assert result.output.count(" min stored") == 3 and f"{last}: 3 course(s), 50.0 min stored" in result.output
    assert sorted({r.day for r in db.session.scalars(select(UsageDay))}) == [last - 2 * DAY, last - DAY, last]


def test_budget_status_and_alerts(w, db):
    """March to the 14th: Geology 4,400 min stored ($22.00), 1,400 delivered in 14 days, 3,100 by
    the 31st ($3.10): $25.10 against Acme's $50.00. Beta has no budget and no March usage."""
    add_usage(db, w)
    status = {s.company: s for s in usage.budget_status(w.now, prices=LIST_PRICES)}
    acme, beta = status["Acme Fieldwork"], status["Beta Secret Co"]
    assert (acme.month, acme.days_counted, acme.budget) == (date(2026, 3, 1), 14, Decimal("50.00"))
    assert (str(acme.projected.storage), str(acme.projected.delivery), str(acme.projected.total)) == \
        ("22.00", "3.10", "25.10")
    assert not acme.over and beta.budget is None and beta.projected.total == 0 and not beta.over
    assert usage.budget_alerts(w.now, LIST_PRICES) == []

    w.acme.monthly_budget_cents = 2510                      # reaching the budget is not passing it
    db.session.commit()
    assert usage.budget_alerts(w.now, LIST_PRICES) == []
    w.acme.monthly_budget_cents = 2509
    db.session.commit()
    [alert] = usage.budget_alerts(w.now, LIST_PRICES)
    assert (alert.company_id, alert.budget, alert.projected.total) == (w.acme.id, Decimal("25.09"), Decimal("25.10"))


def test_budget_projection_in_a_month_with_no_usage_yet(w, db):
    add_usage(db, w)
    [acme] = usage.budget_status(datetime(2026, 4, 1, 1, tzinfo=timezone.utc), [w.acme.id], LIST_PRICES)
    assert (acme.month, acme.days_counted, acme.projected.total) == (date(2026, 4, 1), 0, Decimal("0.00"))
