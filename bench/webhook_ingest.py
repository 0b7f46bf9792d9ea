"""Stream webhook ingestion: signed events with a third of them duplicates, sent over HTTP from 4
threads, against a bare Flask endpoint that only answers 200 (the baseline, same run).
Target: ≥ 500 events/s and no double effect. Usage: python bench/webhook_ingest.py [sqlite|postgres]"""
from __future__ import annotations

import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from _portal import portal
from flask import Flask

sys.path.insert(0, __import__("os").path.dirname(__file__) + "/..")

from emulators.stream.processing import sign  # noqa: E402
from tests.support.servers import ServerThread  # noqa: E402

UNIQUE, DUPLICATES, THREADS, SECRET = 1500, 750, 4, "w" * 64


def fire(url: str, bodies: list[bytes]) -> float:
    session_for = {}

    def send(body: bytes) -> int:
        import threading
        s = session_for.setdefault(threading.get_ident(), requests.Session())
        return s.post(url, data=body, headers={"Webhook-Signature": sign(SECRET, body),
                                               "Content-Type": "application/json"}).status_code
    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - start
    assert set(codes) == {200}, set(codes)
    return len(bodies) / elapsed


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    with portal(kind, stream_webhook_secret=SECRET) as app:
        from portal.extensions import db
        from portal.models import Assignment, Course, Submission, User, WebhookEvent

        course = Course(moodle_id=1, shortname="C", fullname="C")
        student = User(moodle_id=1, username="s", fullname="S", email="")
        db.session.add_all([course, student])
        db.session.flush()
        a = Assignment(moodle_id=1, cmid=1, course_id=course.id, name="A", max_bytes=1, max_minutes=60, max_attempts=1)
        db.session.add(a)
        db.session.flush()
        uids = [uuid.uuid4().hex for _ in range(UNIQUE)]
        db.session.execute(Submission.__table__.insert(), [dict(
            assignment_id=a.id, student_id=student.id, attempt=i + 1, stream_uid=uid, upload_length=1, filename="",
            fingerprint="", status="processing", review_state="new", feedback="", legal_hold=False, version=1,
            created_at=__import__("portal.models", fromlist=["utcnow"]).utcnow()) for i, uid in enumerate(uids)])
        db.session.commit()
        bodies = [json.dumps({"uid": uid, "status": {"state": "ready"}, "duration": 10.0, "size": 1}).encode()
                  for uid in uids]
        stream = bodies + bodies[:DUPLICATES]                   # duplicates arrive later, as retries do
        server = ServerThread(app).start()
        try:
            rate = fire(f"{server.url}/webhooks/stream", stream)
        finally:
            server.stop()
        db.session.expire_all()
        events = db.session.query(WebhookEvent).count()
        ready = db.session.query(Submission).filter_by(status="ready").count()
        records = db.session.execute(db.text("SELECT count(*) FROM outbox WHERE kind = 'record_video'")).scalar()
    bare = Flask("bare")
    bare.post("/hook")(lambda: ("", 200))
    bare_server = ServerThread(bare).start()
    try:
        bare_rate = fire(f"{bare_server.url}/hook", stream)
    finally:
        bare_server.stop()
    ok = events == UNIQUE and ready == UNIQUE and records == UNIQUE
    print(f"database: {kind}; {len(stream)} signed events ({DUPLICATES} duplicates), {THREADS} senders")
    print(f"portal: {rate:.0f} events/s (target >= 500); bare Flask endpoint: {bare_rate:.0f} events/s")
    print(f"effects: {events} events stored, {ready} videos ready, {records} Moodle records queued "
          f"({'exactly once each' if ok else 'DOUBLE EFFECT'})")
    print(json.dumps({"db": kind, "events": len(stream), "duplicates": DUPLICATES, "events_per_s": round(rate),
                      "bare_events_per_s": round(bare_rate), "exactly_once": ok, "target_met": ok and rate >= 500}))


if __name__ == "__main__":
    main()
