"""Uploads Stream accepts (maxDurationSeconds, scheduledDeletion), and status polls that keep
within Cloudflare's API budget: against the live portal and the Stream emulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from tusclient import client as tus

from portal.models import StreamApiMinute, StreamPoll, Submission
from portal.services.stream import StreamClient

from tests.integration.test_upload_journey import create, session_for, wait_for


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_long_assignment_and_short_retention_still_upload(live_portal, stream_emulator, make, make_video, db):
    """An assignment of 500 minutes (30,000 s > Stream's 21,600) with 1 day of retention (< the 30 days
    Stream requires of scheduledDeletion): Stream accepts the upload; the portal's own retention
    date stays one day after the upload."""
    course = make.course(make.company(retention_days=1))
    assignment = make.assignment(course, max_minutes=500, max_bytes=50 * 1024 * 1024)
    student = make.student(course)
    path = make_video(3)
    s = session_for(live_portal, student)
    r = create(s, live_portal, assignment.cmid, path.stat().st_size)
    assert r.status_code == 201, r.text
    video = stream_emulator.video(r.headers["stream-media-id"])
    assert video["maxDurationSeconds"] == 21600
    assert parse(video["scheduledDeletion"]) >= datetime.now(timezone.utc) + timedelta(days=30)
    tus.TusClient(r.headers["Location"]).uploader(str(path), url=r.headers["Location"],
                                                 chunk_size=5 * 1024 * 1024).upload()
    sub = wait_for(db, int(r.headers["X-Submission-Id"]), "ready", live_portal.app)
    assert timedelta(hours=23) < sub.delete_after - sub.uploaded_at <= timedelta(days=1)


@pytest.fixture
def stream_calls(monkeypatch):
    """Every HTTP request any StreamClient in this process sends (the live portal runs here)."""
    calls = []
    original = StreamClient._request

    def counting(self, method, path="", **kw):
        calls.append((method, path))
        return original(self, method, path, **kw)
    monkeypatch.setattr(StreamClient, "_request", counting)
    return calls


@pytest.fixture
def processing(live_portal, stream_emulator, make):
    """A student's submission whose upload Stream has not finished (nothing for a webhook to say)."""
    course = make.course(make.company())
    assignment = make.assignment(course)
    student = make.student(course)
    upload = stream_emulator.client().create_tus_upload(upload_length=1000, creator="1", name="a.mp4",
                                                        max_duration_seconds=60)
    sub = make.submission(assignment, student, status="uploading", stream_uid=upload.uid,
                          upload_url=upload.upload_url, upload_expires_at=datetime.now(timezone.utc) + timedelta(hours=6))
    return sub, student


def test_many_polls_ask_stream_once_per_video_per_interval(live_portal, processing, stream_calls, db):
    sub, student = processing
    s = session_for(live_portal, student)
    stream_calls.clear()
    for _ in range(50):
        r = s.get(f"{live_portal.url}/uploads/{sub.id}/status", headers={"HX-Request": "true"})
        assert r.status_code == 200
    assert len(stream_calls) == 1                       # was 50: one Stream call per poll
    assert db.session.get(StreamPoll, sub.stream_uid) is not None
    # the interval passed (for every user and process: the time is in the database)
    db.session.execute(update(StreamPoll).values(asked_at=datetime.now(timezone.utc) - timedelta(seconds=61)))
    db.session.commit()
    s.get(f"{live_portal.url}/uploads/{sub.id}/status")
    s.get(f"{live_portal.url}/uploads/{sub.id}/status")
    assert len(stream_calls) == 2
    # the calls are counted per minute in the shared table
    db.session.expire_all()
    assert sum(m.calls for m in db.session.query(StreamApiMinute)) >= 2


def test_polls_leave_stream_alone_when_the_minute_budget_is_spent(live_portal, processing, stream_calls, db):
    sub, student = processing
    minute = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    db.session.add(StreamApiMinute(minute=minute, calls=120))      # half of 240: the polls' share
    db.session.add(StreamApiMinute(minute=minute + timedelta(minutes=1), calls=120))
    db.session.commit()
    s = session_for(live_portal, student)
    stream_calls.clear()
    r = s.get(f"{live_portal.url}/uploads/{sub.id}/status")
    assert r.status_code == 200 and stream_calls == []
    assert db.session.get(Submission, sub.id).status == "uploading"     # answered from the portal's state


def test_admin_alert_before_the_api_budget_is_near(app, db):
    from portal.services import alerts

    now = datetime.now(timezone.utc)
    minute = now.replace(second=0, microsecond=0)
    with app.app_context():
        db.session.add(StreamApiMinute(minute=minute - timedelta(minutes=2), calls=400))
        db.session.commit()
        assert next(a for a in alerts.collect(now) if a.kind == "stream_api").count == 0
        db.session.add(StreamApiMinute(minute=minute, calls=500))     # 900 of 1,200 in 5 minutes
        db.session.add(StreamApiMinute(minute=minute - timedelta(minutes=9), calls=5000))   # long ago
        db.session.commit()
        assert next(a for a in alerts.collect(now) if a.kind == "stream_api").count == 900


def test_a_poll_shows_what_the_webhook_said_without_asking_stream(live_portal, stream_emulator, processing,
                                                                 stream_calls, make_video, db):
    """The worker has not applied the stored webhook yet: the poll applies it, no Stream call."""
    import time

    from portal.models import WebhookEvent

    sub, student = processing
    path = make_video(3)
    s = session_for(live_portal, student)
    # the fixture's upload was created for 1,000 bytes: a real one for this video instead
    created = stream_emulator.client().create_tus_upload(
        upload_length=path.stat().st_size, creator="1", name="a.mp4", max_duration_seconds=60)
    sub.stream_uid, sub.upload_url = created.uid, created.upload_url
    db.session.commit()
    tus.TusClient(created.upload_url).uploader(str(path), url=created.upload_url).upload()
    deadline = time.monotonic() + 15
    while not db.session.query(WebhookEvent).filter_by(stream_uid=created.uid, state="ready").count():
        assert time.monotonic() < deadline, "no webhook stored"
        time.sleep(0.05)
        db.session.expire_all()
    stream_calls.clear()
    r = s.get(f"{live_portal.url}/uploads/{sub.id}/status")
    assert r.status_code == 200 and stream_calls == []
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "ready"


def test_a_legal_hold_lifts_streams_scheduled_deletion(stream_emulator, make, db, app):
    """Stream's backstop would delete a held video: the retention run removes it at Stream; the
    video of a submission without hold keeps its backstop."""
    from portal.services import retention

    client = stream_emulator.client()
    backstop = datetime.now(timezone.utc) + timedelta(days=40)
    held, free = (client.create_tus_upload(upload_length=100, creator="1", name="a.mp4", max_duration_seconds=60,
                                           scheduled_deletion=backstop).uid for _ in range(2))
    later = datetime.now(timezone.utc) + timedelta(days=20)
    make.submission(stream_uid=held, legal_hold=True, delete_after=later)
    make.submission(stream_uid=free, delete_after=later)
    with app.app_context():
        retention.run(client)
    assert "scheduledDeletion" not in client.get_video(held)
    assert parse(client.get_video(free)["scheduledDeletion"]) > datetime.now(timezone.utc) + timedelta(days=30)
