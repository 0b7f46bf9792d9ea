"""1,000 grade syncs through the outbox with 50 ms added to each Moodle call: the time to drain,
against the time the same calls would take one grade per call (the baseline, computed from the
measured per-call latency). Target: drained in ≤ 5 s. Usage: python bench/grade_sync.py [sqlite|postgres]"""
from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from _portal import portal

sys.path.insert(0, __import__("os").path.dirname(__file__) + "/..")

from emulators.moodle import create_app as moodle_app  # noqa: E402
from tests.support.servers import ServerThread  # noqa: E402

N = 1000


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    moodle = moodle_app("demo", service_token="b" * 32)
    server = ServerThread(moodle).start()
    try:
        with portal(kind, moodle_url=server.url, moodle_service_token="b" * 32) as app:
            from portal.extensions import db
            from portal.models import Assignment, Course, OutboxMessage, utcnow
            from portal.services import outbox
            from portal.services.roster import moodle_client

            course = Course(moodle_id=2, shortname="GEO101", fullname="Field Geology")
            db.session.add(course)
            db.session.flush()
            db.session.add(Assignment(moodle_id=1, cmid=101, course_id=course.id, name="River walk",
                                      grade_max=Decimal(100), max_bytes=1, max_minutes=1, max_attempts=1))
            # 1,000 students in Moodle and 1,000 queued grades (as saving in the portal queues them).
            for i in range(N):
                uid = 10_000 + i
                moodle.site.users[uid] = type(moodle.site.users[13])(uid, f"bench{i}", "Bench", str(i), f"b{i}@x")
                moodle.site.enrolments[(uid, 2)] = ["student"]
            db.session.execute(OutboxMessage.__table__.insert(), [dict(
                kind="grade", idempotency_key=f"grade:{i}:v1", state="pending", attempts=0,
                next_attempt_at=utcnow(), created_at=utcnow(),
                payload={"assignmentid": 1, "userid": 10_000 + i, "grade": float(i % 100), "feedback_html": "<p>ok</p>",
                         "addattempt": False}) for i in range(N)])
            db.session.commit()
            moodle.control.latency_ms = 50
            client = moodle_client()
            start = time.perf_counter()
            client.site_info()
            call_ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            sent = outbox.drain(db.session, client)
            drained = time.perf_counter() - start
            received = len(moodle.site.grade_log)
    finally:
        server.stop()
    one_by_one = N * call_ms / 1000
    print(f"database: {kind}; Moodle latency added: 50 ms per call (measured call: {call_ms:.0f} ms)")
    print(f"{sent} outbox rows sent, {received} grades received by Moodle, drained in {drained:.2f} s (target <= 5 s)")
    print(f"baseline, one call per grade at the measured latency: {one_by_one:.1f} s")
    print(json.dumps({"db": kind, "grades": N, "drain_seconds": round(drained, 3), "received": received,
                      "one_call_per_grade_seconds": round(one_by_one, 1), "target_met": drained <= 5 and received == N}))


if __name__ == "__main__":
    main()
