"""Stream's webhook at the portal's own endpoint: signatures and time checked, each body stored
once, applied by the worker in arrival order without a wrong or double effect."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select, text

from emulators.stream.processing import sign
from portal.models import OutboxMessage, Submission, WebhookEvent
from portal.services import alerts, stream_events
from tests.support.portal import make_app

SECRET = "h" * 64


@pytest.fixture(scope="module")
def hook_app(database_url, app):
    return make_app(database_url, stream_webhook_secret=SECRET)


@pytest.fixture
def post(hook_app, db):
    client = hook_app.test_client()

    def post(video: dict, *, secret: str = SECRET, stamp: int | None = None, body: bytes | None = None,
             header: str | None = None):
        body = body if body is not None else json.dumps(video).encode()
        header = header if header is not None else sign(secret, body, stamp)
        return client.post("/webhooks/stream", data=body, headers={"Webhook-Signature": header,
                                                                  "Content-Type": "application/json"})
    return post


def worker(hook_app) -> int:
    with hook_app.app_context():
        return stream_events.apply_all()


def ready(uid: str, duration: float = 42.0) -> dict:
    return {"uid": uid, "status": {"state": "ready"}, "duration": duration, "size": 1234,
            "uploaded": "2026-12-01T10:00:00Z"}


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("how,why", [
    ("wrong secret", "does not match"), ("stale", "outside the tolerance"), ("no header", "malformed")])
def test_forged_or_stale_webhooks_are_refused_and_stored_nowhere(post, make, db, hook_app, how, why, caplog):
    sub = make.submission(status="processing")
    r = {"wrong secret": lambda: post(ready(sub.stream_uid), secret="x" * 64),
         "stale": lambda: post(ready(sub.stream_uid), stamp=int(time.time()) - 301),
         "no header": lambda: post(ready(sub.stream_uid), header="")}[how]()
    assert r.status_code == 401 and r.get_json()["message"] == "Webhook signature refused."
    assert why in caplog.text and SECRET not in caplog.text
    assert count(db, WebhookEvent) == 0
    worker(hook_app)
    assert db.session.get(Submission, sub.id).status == "processing"


def test_tampered_body_is_refused(post, make, db):
    sub = make.submission(status="processing")
    body = json.dumps(ready(sub.stream_uid)).encode()
    header = sign(SECRET, body)
    r = post({}, body=body.replace(b"42.0", b"99.0"), header=header)
    assert r.status_code == 401 and count(db, WebhookEvent) == 0


def test_not_a_video_object_is_400(post, db):
    assert post({"hello": "world"}).status_code == 400
    assert post({}, body=b"[1, 2]").status_code == 400
    assert count(db, WebhookEvent) == 0


def test_acknowledged_at_once_then_applied_by_the_worker(post, make, db, hook_app):
    sub = make.submission(status="processing")
    r = post(ready(sub.stream_uid))
    assert r.status_code == 200 and r.get_json() == {"result": "stored"}
    assert db.session.get(Submission, sub.id).status == "processing"      # nothing applied in the request
    assert worker(hook_app) == 1
    db.session.expire_all()
    got = db.session.get(Submission, sub.id)
    assert got.status == "ready" and got.duration_seconds == 42.0 and got.delete_after is not None
    assert count(db, OutboxMessage, OutboxMessage.kind == "record_video") == 1
    assert worker(hook_app) == 0                                          # nothing left over


def test_replayed_and_duplicate_events_have_one_effect(post, make, db, hook_app):
    sub = make.submission(status="processing")
    body = json.dumps(ready(sub.stream_uid)).encode()
    first = post({}, body=body)
    replay = post({}, body=body, header=sign(SECRET, body, int(time.time()) - 60))   # re-signed, same body
    assert [first.get_json()["result"], replay.get_json()["result"]] == ["stored", "duplicate"]
    worker(hook_app)
    post(ready(sub.stream_uid), stamp=int(time.time()))                   # the same body once more, later
    worker(hook_app)
    assert count(db, WebhookEvent) == 1
    assert count(db, OutboxMessage, OutboxMessage.kind == "record_video") == 1


def test_an_event_arriving_on_a_connection_the_database_dropped_is_stored(post, make, db, hook_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    sub = make.submission(status="processing")
    assert post(ready(sub.stream_uid, duration=1.0)).get_json() == {"result": "stored"}   # pools a connection
    killed = db.session.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND application_name = :name"),
                               {"name": stream_events.APPLICATION_NAME})
    db.session.commit()
    assert killed >= 1
    r = post(ready(sub.stream_uid, duration=2.0))
    assert r.status_code == 200 and r.get_json() == {"result": "stored"}
    assert count(db, WebhookEvent) == 2


def test_out_of_order_events_never_move_a_video_backwards(post, make, db, hook_app):
    sub = make.submission(status="processing")
    post(ready(sub.stream_uid, duration=10.0))
    post({"uid": sub.stream_uid, "status": {"state": "inprogress", "pctComplete": "50"}})   # late
    assert worker(hook_app) == 2
    db.session.expire_all()
    got = db.session.get(Submission, sub.id)
    assert got.status == "ready" and got.duration_seconds == 10.0


def test_unknown_video_is_kept_with_the_reason_and_alerted(post, db, hook_app):
    post(ready("f" * 32))
    worker(hook_app)
    event = db.session.scalars(select(WebhookEvent)).one()
    assert event.processed_at is not None and "no submission has this video uid" in event.error
    with hook_app.app_context():
        assert {a.kind: a.count for a in alerts.collect()}["webhook_unmatched"] == 1


def test_one_bad_event_does_not_block_the_ones_behind_it(post, make, db, hook_app):
    good = make.submission(status="processing")
    bad = make.submission(status="processing")
    post({"uid": bad.stream_uid, "status": {"state": "ready"}, "duration": "long"})   # not a number
    post(ready(good.stream_uid))
    assert worker(hook_app) == 2
    db.session.expire_all()
    assert db.session.get(Submission, good.id).status == "ready"
    failed = db.session.scalars(select(WebhookEvent).where(WebhookEvent.stream_uid == bad.stream_uid)).one()
    assert failed.processed_at is not None and failed.error.startswith("could not be applied")


def test_events_the_worker_has_not_applied_are_alerted(post, make, db, hook_app):
    from datetime import timedelta

    sub = make.submission(status="processing")
    post(ready(sub.stream_uid))
    event = db.session.scalars(select(WebhookEvent)).one()
    with hook_app.app_context():
        assert {a.kind: a.count for a in alerts.collect()}["webhook_backlog"] == 0        # just arrived
        later = event.received_at + alerts.BACKLOG + timedelta(seconds=1)
        assert {a.kind: a.count for a in alerts.collect(later)}["webhook_backlog"] == 1   # the worker is down


def test_a_batch_refused_by_a_deadlock_is_applied_on_the_next_pass(post, make, db, hook_app):
    """The worker's batch and a teacher's transaction lock the same submission tally and
    submissions in opposite orders; PostgreSQL refuses the worker's side. Its events are not
    failed but left pending, and the next pass applies them (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no deadlock")
    import threading

    a = make.submission(status="processing")
    b = make.submission(a.assignment, status="processing", uploaded_at=a.uploaded_at, created_at=a.created_at)
    post(ready(a.stream_uid))
    post(ready(b.stream_uid))
    passes: list[int] = []
    worker_thread = threading.Thread(target=lambda: passes.append(_one_pass(hook_app)))
    with db.engine.connect() as teacher:
        teacher.execute(text("SET deadlock_timeout = '10s'"))          # the worker's side is refused
        teacher.execute(text("UPDATE submissions SET review_state = 'in_review' WHERE id = :id"), {"id": b.id})
        worker_thread.start()                                           # locks a, then waits for the tally
        time.sleep(0.5)
        teacher.execute(text("UPDATE submissions SET review_state = 'in_review' WHERE id = :id"), {"id": a.id})
        teacher.commit()
    worker_thread.join()
    assert passes == [0]                                # refused whole: nothing applied, nothing failed
    assert count(db, WebhookEvent, WebhookEvent.processed_at.is_(None)) == 2
    assert worker(hook_app) == 2
    assert count(db, Submission, Submission.status == "ready") == 2
    assert count(db, WebhookEvent, WebhookEvent.error.is_not(None)) == 0


def _one_pass(hook_app) -> int:
    with hook_app.app_context():
        return stream_events.apply_pending()


def test_an_event_hitting_a_transient_database_error_alone_stays_pending(post, make, db, hook_app, monkeypatch):
    """A batch with a bad event is applied one event at a time; an event that then meets a lost
    connection or deadlock is not set aside with the bad one, but applied on the next pass."""
    from sqlalchemy.exc import OperationalError
    bad, unlucky = make.submission(status="processing"), make.submission(status="processing")
    post(ready(bad.stream_uid))
    post(ready(unlucky.stream_uid))
    real = stream_events.apply_video

    def flaky(sub, video):
        if sub.id == bad.id:
            raise ValueError("not a duration")
        if sub.id == unlucky.id:
            raise OperationalError("UPDATE submissions …", {}, Exception("server closed the connection"))
        return real(sub, video)

    monkeypatch.setattr(stream_events, "apply_video", flaky)
    assert worker(hook_app) == 2
    [failed] = db.session.scalars(select(WebhookEvent).where(WebhookEvent.error.is_not(None))).all()
    assert failed.stream_uid == bad.stream_uid
    assert count(db, WebhookEvent, WebhookEvent.processed_at.is_(None)) == 1
    monkeypatch.setattr(stream_events, "apply_video", real)
    assert worker(hook_app) == 1
    assert count(db, Submission, Submission.id == unlucky.id, Submission.status == "ready") == 1
