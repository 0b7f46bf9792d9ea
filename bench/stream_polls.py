"""Cloudflare API calls per minute while 200 students watch their uploads' status (the page polls
every 3 s), against the 240 a minute Cloudflare allows on average (1,200 per 5 minutes per token).

Baseline, same run: the poll as it was, one Stream call per poll. Then the portal's poll: answered
from its own state, Stream asked at most once per video per STREAM_POLL_INTERVAL across all users
and within the polls' share of the minute's budget. The portal counts its own calls per minute in
the database (stream_api_calls), which is what is printed; the emulator is a real HTTP server in
its own process. Time is virtual (the polls are sent as fast as they go), so the
figures are calls per minute of the students' clock (2 minutes of it; the baseline 15 s).

    python bench/stream_polls.py [sqlite|postgres] [students]
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from _portal import login
from _servers import start_stream_emulator
from flask_migrate import upgrade

from portal.extensions import db
from portal.models import Assignment, Company, Course, Enrolment, StreamApiMinute, Submission, User
from portal.services import status_polls, stream_budget, submissions
from portal.services.stream import StreamClient
from tests.support.database import throwaway_database
from tests.support.portal import make_app

POLL_EVERY = 3          # seconds, templates/uploads/_status.html
BUDGET = 240
MINUTES = 2             # of the students' time


def seed(stream: StreamClient, students: int) -> list[tuple[User, Submission]]:
    company = Company(moodle_id=1, name="Bench Co", shortname="bench")
    course = Course(moodle_id=10, company=company, shortname="C", fullname="Course")
    assignment = Assignment(moodle_id=100, cmid=100, course=course, name="Video", grade_max=Decimal(100),
                            max_bytes=5 * 1024**3, max_minutes=30, max_attempts=3)
    db.session.add_all([company, course, assignment])
    out = []
    for i in range(students):
        user = User(moodle_id=1000 + i, username=f"s{i}", fullname=f"Student {i}", email=f"s{i}@x")
        upload = stream.create_tus_upload(upload_length=10**8, creator=str(1000 + i), name="v.mp4",
                                          max_duration_seconds=600)
        sub = Submission(assignment=assignment, student=user, attempt=1, stream_uid=upload.uid,
                         upload_url=upload.upload_url, upload_length=10**8, filename="v.mp4", fingerprint="",
                         status="uploading", upload_expires_at=datetime.now(timezone.utc) + timedelta(hours=6))
        db.session.add_all([user, Enrolment(user=user, course=course, role="student"), sub])
        out.append((user, sub))
    db.session.commit()
    return [(u.id, s.id) for u, s in out]


def run(app, pairs, minutes: float, start: datetime) -> tuple[list[int], int, float]:
    """Poll for `minutes` of virtual time; the portal's counted calls per virtual minute. Each poll
    is a request of its own (own app context, as in production), none inside the bench's."""
    clients = []
    for user_id, sub_id in pairs:
        client = app.test_client()
        with app.app_context():
            login(client, db.session.get(User, user_id))
        clients.append((client, sub_id))
    clock = {"now": start}
    real_now = stream_budget._now
    stream_budget._now = lambda: clock["now"]
    polls, began = 0, time.perf_counter()
    try:
        for tick in range(int(minutes * 60) // POLL_EVERY):
            for i, (client, sub_id) in enumerate(clients):   # the students' polls spread over the 3 s
                clock["now"] = start + timedelta(seconds=tick * POLL_EVERY + POLL_EVERY * i / len(clients))
                r = client.get(f"/uploads/{sub_id}/status",     # as htmx sends it (hx-trigger every 3s)
                               headers={"HX-Request": "true", "HX-Target": f"submission-{sub_id}"})
                assert r.status_code == 200, (r.status_code, r.text[:300])
                polls += 1
    finally:
        stream_budget._now = real_now
    elapsed = time.perf_counter() - began
    first = start.replace(second=0, microsecond=0)
    with app.app_context():
        counted = dict(db.session.execute(db.select(StreamApiMinute.minute, StreamApiMinute.calls)
                                          .where(StreamApiMinute.minute >= first)).all())
    per_minute = [counted.get(first + timedelta(minutes=m), 0) for m in range(max(int(minutes), 1))]
    return per_minute, polls, elapsed


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    students = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, account, token = start_stream_emulator(Path(tmp) / "stream")
        try:
            with throwaway_database(kind, Path(tmp)) as db_url:
                app = make_app(db_url, stream_api_base=f"{url}/client/v4", stream_account_id=account,
                               stream_api_token=token, stream_customer_domain=url)
                with app.app_context():
                    upgrade()
                    pairs = seed(StreamClient(f"{url}/client/v4", account, token), students)
                settings = app.config["SETTINGS"]
                # baseline: the poll as it was before, one Stream call each
                current = status_polls.poll_status
                status_polls.poll_status = submissions.refresh_from_stream
                try:
                    # 15 s of it are enough to see its rate (each poll is a Stream call)
                    base, base_polls, base_s = run(app, pairs, 0.25, datetime(2030, 1, 1, 10, tzinfo=timezone.utc))
                finally:
                    status_polls.poll_status = current
                calls, polls, took = run(app, pairs, MINUTES, datetime(2030, 1, 1, 11, tzinfo=timezone.utc))
                with app.app_context():
                    db.engine.dispose()
        finally:
            proc.terminate()
            proc.wait()
    print(f"{students} students polling every {POLL_EVERY} s: {polls // MINUTES:,} polls per minute; "
          f"Cloudflare budget {BUDGET} calls per minute (1,200 per 5 minutes)")
    print(f"  baseline, one Stream call per poll:   {base[0] * 4:>5,} calls/min  ({base[0]:,} calls for "
          f"{base_polls:,} polls in 15 s of the students' time, {base_s:.1f} s here)")
    print(f"  portal (interval {settings.stream_poll_interval} s, polls' share "
          f"{int(stream_budget.POLL_SHARE * settings.stream_api_budget)}/min): "
          + ", ".join(f"{c:,}" for c in calls) + f" calls/min in {MINUTES} minutes  ({polls:,} polls, {took:.1f} s here)")
    print(json.dumps({"students": students, "poll_every_s": POLL_EVERY, "polls_per_min": polls // MINUTES,
                      "baseline_calls_per_min": base[0] * 4, "calls_per_min": calls, "max_calls_per_min": max(calls),
                      "budget_per_min": BUDGET, "within_budget": max(calls) <= BUDGET}))


if __name__ == "__main__":
    main()
