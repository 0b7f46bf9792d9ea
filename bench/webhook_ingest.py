"""Stream webhook ingestion: signed events with a third of them duplicates, sent over HTTP from 4
threads to the portal under gunicorn (the production recipe's 4 workers), against a bare Flask
endpoint that only answers 200 under the same gunicorn (the baseline, same run). The endpoint
verifies and stores; the worker then applies the backlog (timed too), and the effects are counted.
Three rounds of fresh events each, the median reported: on two shared cores one round varies by
a third. Target: ≥ 500 events/s acknowledged and no double effect.
Usage: python bench/webhook_ingest.py [sqlite|postgres]"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import requests
from _portal import portal

sys.path.insert(0, __import__("os").path.dirname(__file__) + "/..")

from emulators.stream.processing import sign  # noqa: E402

UNIQUE, DUPLICATES, THREADS, ROUNDS, SECRET = 1500, 750, 4, 3, "w" * 64


def fire(url: str, bodies: list[bytes]) -> float:
    session_for = {}

    def send(body: bytes) -> int:
        import threading
        s = session_for.setdefault(threading.get_ident(), requests.Session())
        return s.post(url, data=body, timeout=10, headers={"Webhook-Signature": sign(SECRET, body),
                                               "Content-Type": "application/json"}).status_code
    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - start
    assert set(codes) == {200}, set(codes)
    return len(bodies) / elapsed


BARE_APP = "from flask import Flask\napp = Flask('bare')\napp.post('/hook')(lambda: ('', 200))\n"


def bare_baseline(stream) -> float:
    """The same senders against a Flask endpoint that only answers 200, under the same gunicorn."""
    import os
    import subprocess
    from _servers import free_port, wait_http
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-b",
                                 f"127.0.0.1:{port}", "bare_app:app"], cwd=tmp, env=os.environ,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_http(f"http://127.0.0.1:{port}/hook")
            return statistics.median(fire(f"http://127.0.0.1:{port}/hook", stream) for _ in range(ROUNDS))
        finally:
            proc.terminate()
            proc.wait()


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
        uids = [uuid.uuid4().hex for _ in range(UNIQUE * ROUNDS)]
        db.session.execute(Submission.__table__.insert(), [dict(
            assignment_id=a.id, student_id=student.id, attempt=i + 1, stream_uid=uid, upload_length=1, filename="",
            fingerprint="", status="processing", review_state="new", feedback="", legal_hold=False, version=1,
            created_at=__import__("portal.models", fromlist=["utcnow"]).utcnow()) for i, uid in enumerate(uids)])
        db.session.commit()
        bodies = [json.dumps({"uid": uid, "status": {"state": "ready"}, "duration": 10.0, "size": 1}).encode()
                  for uid in uids]
        # each round its own events; duplicates arrive later, as retries do
        rounds = [bodies[r * UNIQUE:(r + 1) * UNIQUE] + bodies[r * UNIQUE:r * UNIQUE + DUPLICATES]
                  for r in range(ROUNDS)]
        # The portal as in production (README, Processes): 4 sync gunicorn workers in their own
        # processes, so the senders here do not share a GIL with it. Not the threaded worker:
        # gunicorn 23's gthread sometimes left a keep-alive request unanswered for 10 s here.
        import os
        import subprocess
        from _servers import free_port, wait_http
        port = free_port()
        env = {**os.environ, "SECRET_KEY": "b" * 40, "DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)).replace("+psycopg", ""),
               "MOODLE_URL": "http://127.0.0.1:9", "MOODLE_SERVICE_TOKEN": "t", "MOODLE_OAUTH_CLIENT_ID": "c",
               "MOODLE_OAUTH_CLIENT_SECRET": "s", "STREAM_ACCOUNT_ID": "a", "STREAM_API_TOKEN": "t",
               "STREAM_CUSTOMER_DOMAIN": "http://127.0.0.1:9", "STREAM_WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "WARNING"}
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-b",
                                     f"127.0.0.1:{port}", "wsgi:app"], cwd=Path(__file__).resolve().parent.parent,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            rates = [fire(f"http://127.0.0.1:{port}/webhooks/stream", stream) for stream in rounds]
        finally:
            gunicorn.terminate()
            gunicorn.wait()
        from portal.services import stream_events
        db.session.remove()
        start = time.perf_counter()
        applied = stream_events.apply_all()                  # what `flask worker` does each second
        apply_rate = applied / (time.perf_counter() - start)
        db.session.expire_all()
        events = db.session.query(WebhookEvent).count()
        ready = db.session.query(Submission).filter_by(status="ready").count()
        records = db.session.execute(db.text("SELECT count(*) FROM outbox WHERE kind = 'record_video'")).scalar()
    rate = statistics.median(rates)
    bare_rate = bare_baseline(rounds[0])
    total = UNIQUE * ROUNDS
    ok = events == total and ready == total and records == total
    print(f"database: {kind}; {ROUNDS} rounds of {UNIQUE + DUPLICATES} signed events ({DUPLICATES} duplicates), "
          f"{THREADS} senders")
    print(f"portal: {rate:.0f} events/s acknowledged, median of {', '.join(f'{r:.0f}' for r in rates)} "
          f"(target >= 500); bare Flask endpoint: {bare_rate:.0f} events/s")
    print(f"worker: {applied} stored events applied at {apply_rate:.0f} events/s")
    print(f"effects: {events} events stored, {ready} videos ready, {records} Moodle records queued "
          f"({'exactly once each' if ok else 'DOUBLE EFFECT'})")
    print(json.dumps({"db": kind, "events": len(rounds[0]), "duplicates": DUPLICATES, "rounds": ROUNDS,
                      "events_per_s": round(rate), "rounds_events_per_s": [round(r) for r in rates],
                      "bare_events_per_s": round(bare_rate), "applied_per_s": round(apply_rate),
                      "exactly_once": ok, "target_met": ok and rate >= 500}))


if __name__ == "__main__":
    main()
