"""Costs fill themselves: the worker's usage collection reads stored minutes from the portal's
records and delivered minutes from Stream's GraphQL analytics (the emulator answers from what
its player delivered), back-fills missed days, is idempotent per day, and the cost page says when
and from where."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from portal.models import UsageCollectedDay, UsageDay, UsageRun
from portal.services.stream import StreamClient, sign_playback_token
from tests.integration.test_upload_journey import session_for


def watched(stream_emulator, uid: str, seconds: int) -> None:
    """A viewer plays `seconds` of the video in the emulator's player (its beacon reports them)."""
    key = stream_emulator.client().create_signing_key()
    token = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60)
    assert requests.post(f"{stream_emulator.customer_domain}/{token}/beacon", data=str(seconds)).status_code == 204


def usage_of(db, course) -> dict:
    db.session.expire_all()
    return {r.day: (round(r.minutes_stored, 3), round(r.minutes_delivered, 3))
            for r in db.session.query(UsageDay).filter_by(course_id=course.id)}


def test_worker_collection_fills_stored_and_delivered_and_backfills(live_portal, stream_emulator, make_video,
                                                                     make, db):
    from portal.services import usage_collection

    now = datetime.now(timezone.utc)
    today, three_days_ago = now.date(), now - timedelta(days=3)
    uid = stream_emulator.ready_video(make_video(3))
    course = make.course(make.company())
    make.submission(make.assignment(course), stream_uid=uid, status="ready", duration_seconds=180.0,
                    created_at=three_days_ago, uploaded_at=three_days_ago, ready_at=three_days_ago)
    watched(stream_emulator, uid, 90)
    app = live_portal.app
    with app.app_context():
        result = usage_collection.collect_due(_client(stream_emulator), now)
    assert result.delivered and result.problem is None
    assert result.days == [three_days_ago.date() + timedelta(days=i) for i in range(4)]   # back-filled
    figures = usage_of(db, course)
    assert figures[today] == (3.0, 1.5)
    assert figures[today - timedelta(days=2)] == (3.0, 0.0)
    # idempotent: a second run replaces the figures of the days still due, never adds
    with app.app_context():
        again = usage_collection.collect_due(_client(stream_emulator), now + timedelta(minutes=1))
    assert usage_of(db, course) == figures
    # days read after they settled are final; today and yesterday are filled again next time
    assert again.days == [today - timedelta(days=1), today]
    run = db.session.query(UsageRun).order_by(UsageRun.id.desc()).first()
    assert run.delivered_source == usage_collection.DELIVERED_SOURCE


def test_without_analytics_stored_minutes_fill_and_delivered_days_wait(live_portal, stream_emulator, make_video,
                                                                       make, db):
    from portal.services import usage_collection

    now = datetime.now(timezone.utc)
    uid = stream_emulator.ready_video(make_video(3))
    course = make.course(make.company())
    make.submission(make.assignment(course), stream_uid=uid, status="ready", duration_seconds=60.0,
                    created_at=now, uploaded_at=now, ready_at=now)
    watched(stream_emulator, uid, 30)
    no_analytics = StreamClient(stream_emulator.base_url, stream_emulator.account_id, "token-without-analytics",
                                retries=0)
    with live_portal.app.app_context():
        result = usage_collection.collect_due(no_analytics, now)
    assert not result.delivered and "Account Analytics Read" in result.problem
    assert usage_of(db, course)[now.date()] == (1.0, 0.0)
    assert db.session.get(UsageCollectedDay, now.date()).delivered_at is None
    with live_portal.app.app_context():
        usage_collection.collect_due(_client(stream_emulator), now + timedelta(minutes=1))
    assert usage_of(db, course)[now.date()] == (1.0, 0.5)               # filled in on the next run


def test_cost_page_says_when_and_from_where(live_portal, stream_emulator, make_video, make, db):
    from portal.services import usage_collection

    now = datetime.now(timezone.utc)
    company = make.company()
    course = make.course(company)
    manager = make.manager_of(company)
    uid = stream_emulator.ready_video(make_video(3))
    make.submission(make.assignment(course), stream_uid=uid, status="ready", duration_seconds=600.0,
                    created_at=now, uploaded_at=now, ready_at=now)
    s = session_for(live_portal, manager)
    page = s.get(f"{live_portal.url}/reports/companies/{company.id}").text
    assert "Usage has not been collected yet" in page
    watched(stream_emulator, uid, 120)
    with live_portal.app.app_context():
        usage_collection.collect_due(_client(stream_emulator), now)
    page = s.get(f"{live_portal.url}/reports/companies/{company.id}").text
    assert "Usage last collected" in page and "delivered minutes from Cloudflare Stream analytics" in page
    assert "No usage recorded" not in page


def _client(stream_emulator) -> StreamClient:
    return stream_emulator.client()
