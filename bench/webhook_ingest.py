"""Stream webhook ingestion: signed events with a third of them duplicates, sent over HTTP to the
portal under gunicorn as the README's production recipe runs it (4 sync workers), against a bare
Flask endpoint that only answers 200 under the same gunicorn (the baseline, same run, same
sender). The endpoint verifies and stores; the worker then applies the backlog (timed too), and the
effects are counted. Three rounds of fresh events each, the median reported: on two shared cores
one round varies by a third. Target: ≥ 500 events/s acknowledged and no double effect.

The sender is made cheap because real Stream sends from its own machines: its CPU is no part of
the portal's cost, yet here it shares the two cores with gunicorn and PostgreSQL. Each request's
bytes are built and signed just before its round (the signature's time must be within 300 s),
then SENDERS threads write them over plain sockets, one connection per request as a sync worker
closes each, read every response to the end and check its status and body: the portal answers
each event "stored" once and each duplicate "duplicate". The CPU each event cost the portal's
gunicorn processes, PostgreSQL's backends and the sender is printed too: the events/s follow
whatever else runs on the machine, those much less.
Usage: python bench/webhook_ingest.py [sqlite|postgres]"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from _portal import portal
from _servers import ROOT, free_port, wait_http

from emulators.stream.processing import sign

UNIQUE, DUPLICATES, SENDERS, ROUNDS, SECRET = 1500, 750, 8, 3, "w" * 64


def signed_requests(port: int, path: str, bodies: list[bytes]) -> list[bytes]:
    """Each event as the bytes of one HTTP request, signed now."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Connection: close\r\n")
    return [f"{head}Content-Length: {len(body)}\r\nWebhook-Signature: {sign(SECRET, body)}\r\n\r\n".encode()
            + body for body in bodies]


def exchange(port: int, request: bytes) -> tuple[bytes, bytes]:
    """Send one request; the status line and the whole body, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    assert length == len(body), f"incomplete response: {head!r}"
    return head.split(b"\r\n", 1)[0], body


def fire(port: int, path: str, bodies: list[bytes]) -> tuple[float, float, list[bytes]]:
    """One round: the events signed now, then sent."""
    return send_all(port, signed_requests(port, path, bodies))


def send_all(port: int, raw: list[bytes]) -> tuple[float, float, list[bytes]]:
    """Requests/s, the sender's CPU ms per request, and the response bodies in order."""
    requests = list(enumerate(raw))
    answers: list[tuple[bytes, bytes] | None] = [None] * len(requests)
    queue = iter(requests)          # shared by the senders: a list iterator's next() holds the GIL
    start_line = threading.Barrier(SENDERS + 1)

    def sender() -> None:
        start_line.wait()
        for i, request in queue:
            answers[i] = exchange(port, request)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    cpu = time.process_time()
    start_line.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    statuses = {a[0] for a in answers if a}
    assert len(statuses) == 1 and all(answers) and next(iter(statuses)).split()[1] == b"200", statuses
    return len(raw) / elapsed, 1000 * cpu / len(raw), [a[1] for a in answers]


def warm_up(port: int) -> None:
    """Every worker booted and connected, as in a portal that has been running for a while."""
    send_all(port, [f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()] * 40)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, tree: bool = False) -> float:
    """User + system CPU a process has used (and its children with tree=True): 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if tree else []
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK + sum(cpu_seconds(int(c), True) for c in children)


def server_cpu(gunicorn_pid: int, db) -> dict[str, float]:
    """CPU used so far by gunicorn's processes and by the database's server processes (PostgreSQL
    backends of the bench database), to tell the portal's cost per event apart from the sender's
    and from whatever else runs on the machine."""
    cpu = {"gunicorn": cpu_seconds(gunicorn_pid, tree=True)}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            pids = conn.execute(db.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid()")).scalars().all()
        cpu.update({f"pg{pid}": cpu_seconds(pid) for pid in pids})
    return cpu


@contextmanager
def gunicorn(app: str, cwd: Path, env: dict[str, str]):
    """The app under gunicorn with the README's production recipe (4 sync workers), on a free port.
    Not the threaded worker: gunicorn 23's gthread sometimes left a keep-alive request unanswered
    for 10 s here."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", app],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait()


BARE_APP = "from flask import Flask\napp = Flask('bare')\napp.post('/hook')(lambda: ('', 200))\n"


def bare_baseline(stream: list[bytes]) -> float:
    """The same sender against a Flask endpoint that only answers 200, under the same gunicorn."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        with gunicorn("bare_app:app", Path(tmp), dict(os.environ)) as (port, _):
            wait_http(f"http://127.0.0.1:{port}/hook")
            fire(port, "/hook", stream[:200])         # warm, as the portal is
            return statistics.median(fire(port, "/hook", stream)[0] for _ in range(ROUNDS))


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    with portal(kind, stream_webhook_secret=SECRET) as app:
        from portal.extensions import db
        from portal.models import Assignment, Course, Submission, User, WebhookEvent, utcnow

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
            created_at=utcnow()) for i, uid in enumerate(uids)])
        db.session.commit()
        bodies = [json.dumps({"uid": uid, "status": {"state": "ready"}, "duration": 10.0, "size": 1}).encode()
                  for uid in uids]
        # each round its own events; duplicates arrive later, as retries do
        rounds = [bodies[r * UNIQUE:(r + 1) * UNIQUE] + bodies[r * UNIQUE:r * UNIQUE + DUPLICATES]
                  for r in range(ROUNDS)]
        # The portal as in production (README, Processes): gunicorn's workers in their own
        # processes, so the senders here do not share a GIL with them.
        env = {**os.environ, "SECRET_KEY": "b" * 40, "DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)).replace("+psycopg", ""),
               "MOODLE_URL": "http://127.0.0.1:9", "MOODLE_SERVICE_TOKEN": "t", "MOODLE_OAUTH_CLIENT_ID": "c",
               "MOODLE_OAUTH_CLIENT_SECRET": "s", "STREAM_ACCOUNT_ID": "a", "STREAM_API_TOKEN": "t",
               "STREAM_CUSTOMER_DOMAIN": "http://127.0.0.1:9", "STREAM_WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "WARNING"}
        rates, sender_cpu, portal_cpu, db_cpu, answers = [], [], [], [], []
        with gunicorn("wsgi:app", ROOT, env) as (port, pid):
            wait_http(f"http://127.0.0.1:{port}/healthz")
            warm_up(port)
            for stream in rounds:
                before = server_cpu(pid, db)
                rate, cpu, bodies_back = fire(port, "/webhooks/stream", stream)
                used = {k: v - before.get(k, 0.0) for k, v in server_cpu(pid, db).items()}
                rates.append(rate)
                sender_cpu.append(cpu)
                portal_cpu.append(1000 * used.pop("gunicorn") / len(stream))
                db_cpu.append(1000 * sum(used.values()) / len(stream))
                answers += [json.loads(b)["result"] for b in bodies_back]
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
    acks = {"stored": answers.count("stored"), "duplicate": answers.count("duplicate")}
    ok = (events == total and ready == total and records == total
          and acks == {"stored": total, "duplicate": DUPLICATES * ROUNDS})
    print(f"database: {kind}; {ROUNDS} rounds of {UNIQUE + DUPLICATES} signed events ({DUPLICATES} duplicates), "
          f"{SENDERS} sender threads")
    print(f"portal: {rate:.0f} events/s acknowledged, median of {', '.join(f'{r:.0f}' for r in rates)} "
          f"(target >= 500); bare Flask endpoint: {bare_rate:.0f} events/s")
    print(f"answers: {acks['stored']} stored, {acks['duplicate']} duplicate")
    database = (f"database server {statistics.median(db_cpu):.2f} ms" if kind == "postgres"
                else "SQLite within the portal's")
    print(f"CPU per event: portal (gunicorn) {statistics.median(portal_cpu):.2f} ms, {database}, "
          f"sender {statistics.median(sender_cpu):.2f} ms")
    print(f"worker: {applied} stored events applied at {apply_rate:.0f} events/s")
    print(f"effects: {events} events stored, {ready} videos ready, {records} Moodle records queued "
          f"({'exactly once each' if ok else 'DOUBLE EFFECT'})")
    print(json.dumps({"db": kind, "events": len(rounds[0]), "duplicates": DUPLICATES, "rounds": ROUNDS,
                      "events_per_s": round(rate), "rounds_events_per_s": [round(r) for r in rates],
                      "bare_events_per_s": round(bare_rate), "applied_per_s": round(apply_rate),
                      "cpu_ms_per_event": {"portal": round(statistics.median(portal_cpu), 3),
                                           "database": round(statistics.median(db_cpu), 3),
                                           "sender": round(statistics.median(sender_cpu), 3)},
                      "rounds_cpu_ms_per_event": {"portal": [round(c, 3) for c in portal_cpu],
                                                  "database": [round(c, 3) for c in db_cpu]},
                      "exactly_once": ok, "target_met": ok and rate >= 500}))


if __name__ == "__main__":
    main()
