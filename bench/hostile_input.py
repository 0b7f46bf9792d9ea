"""The hostile-input table (tests/support/hostile.py) over every route of app.url_map, against the
portal served by a real threaded HTTP server, signed in as each role (and anonymous), with the
CSRF token sent so form routes parse their fields. Counts the answers; the figure that matters is
"0 × 500". The baseline is the same routes with valid ids and no query, in the same run.
Rate limits are off here (they would answer 429 before the parsers run; tests/unit/test_rate_limits.py).
Usage: python bench/hostile_input.py [sqlite|postgres]"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from _portal import portal

from portal.extensions import db
from portal.models import OutboxMessage
from tests.factories import Factory
from tests.support.hostile import NAMES, VALUES, Probe, probes, valid_probes, webhook_bodies
from tests.support.servers import ServerThread

SECRET = "bench-webhook-secret"
THREADS = 4


def world():
    make = Factory(db)
    company = make.company()
    course = make.course(company)
    a = make.assignment(course, max_attempts=3)
    student = make.student(course)
    sub = make.submission(a, student)
    msg = OutboxMessage(kind="grade", payload={}, idempotency_key="bench", submission_id=sub.id, state="dead")
    db.session.add(msg)
    db.session.commit()
    roles = dict(student=student, teacher=make.teacher(course), manager=make.manager_of(company),
                 admin=make.user(is_site_admin=True))
    valid = dict(cmid=str(a.cmid), submission_id=str(sub.id), company_id=str(company.id),
                 course_id=str(course.id), assignment_id=str(a.id), message_id=str(msg.id))
    return {k: v.id for k, v in roles.items()}, valid


def session_as(base: str, user_id: int | None) -> requests.Session:
    s = requests.Session()
    s.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=THREADS))
    if user_id is not None:
        s.get(f"{base}/_bench/login/{user_id}").raise_for_status()
        page = s.get(f"{base}/")
        s.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    return s


def send(s: requests.Session, base: str, p: Probe) -> int:
    r = s.request(p.method, base + p.path, params=p.query, data=p.form, headers=p.headers,
                  allow_redirects=False, timeout=60)
    return r.status_code


def every_name_at_once(app, valid):
    seen = set()
    for p in probes(app, valid):
        if p.path in seen or p.headers or p.query or p.form:
            continue
        seen.add(p.path)
        for value in VALUES:
            every = {n: value for n in NAMES}
            yield Probe(p.method, p.path, query=every if p.method == "GET" else {},
                        form=None if p.method == "GET" else every)


def run(base: str, s: requests.Session, table: list[Probe], statuses: Counter, failures: list) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        for p, code in zip(table, pool.map(lambda p: send(s, base, p), table)):
            statuses[code] += 1
            if code >= 500:
                failures.append(f"{code} {p.describe()[:140]}")


def main() -> None:
    logging.disable(logging.ERROR)       # thousands of refusals: the access log and warnings would drown the figures
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    with portal(kind, stream_webhook_secret=SECRET, embed_secret="bench-embed", ratelimit_enabled=False) as app:
        from flask_login import login_user

        from portal.models import User

        @app.get("/_bench/login/<int:user_id>")
        def _bench_login(user_id: int):
            login_user(db.session.get(User, user_id))
            return "signed in"

        roles, valid = world()
        server = ServerThread(app).start()
        base = server.url
        try:
            # Baseline: every route once per role, valid ids, nothing hostile.
            baseline, hostile, failures = Counter(), Counter(), []
            started = time.perf_counter()
            for role, uid in [("anonymous", None), *roles.items()]:
                s = session_as(base, uid)
                run(base, session_as(base, uid), list(valid_probes(app, valid)), baseline, [])
                # The whole table as the admin (who reaches every route); for the others the hostile
                # ids, the tus metadata and every value in every name at once.
                table = [p for p in probes(app, valid)
                         if role == "admin" or not (p.query or p.form) or p.headers]
                table += list(every_name_at_once(app, valid))
                run(base, s, table, hostile, failures)
                print(f"  {role}: {len(table)} hostile requests, {time.perf_counter() - started:.0f} s so far",
                      file=sys.stderr, flush=True)
            for body in webhook_bodies():
                stamp = str(int(time.time()))
                sig = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                r = requests.post(f"{base}/webhooks/stream", data=body, timeout=60,
                                  headers={"Webhook-Signature": f"time={stamp},sig1={sig}",
                                           "Content-Type": "application/json"})
                hostile[r.status_code] += 1
                if r.status_code >= 500:
                    failures.append(f"{r.status_code} webhook {body[:60]!r}")
            seconds = time.perf_counter() - started
        finally:
            server.stop()

    total, fives = sum(hostile.values()), hostile.get(500, 0)
    other_5xx = sum(n for code, n in hostile.items() if code > 500)
    print(f"routes: {len([r for r in app.url_map.iter_rules() if r.endpoint != 'static'])}, roles: anonymous + {', '.join(roles)}")
    print(f"baseline (valid requests): {sum(baseline.values())} requests, "
          f"{baseline.get(500, 0)} × 500, statuses {dict(sorted(baseline.items()))}")
    print(f"hostile: {total} requests in {seconds:.0f} s, statuses {dict(sorted(hostile.items()))}")
    for line in failures[:40]:
        print("  ", line)
    print(f"{fives} × 500 in {total} hostile requests" + (f" ({other_5xx} other 5xx)" if other_5xx else ""))
    print(json.dumps({"bench": "hostile_input", "db": kind, "requests": total, "status_500": fives,
                      "other_5xx": other_5xx, "baseline_requests": sum(baseline.values()),
                      "baseline_500": baseline.get(500, 0), "seconds": round(seconds, 1),
                      "statuses": {str(k): v for k, v in sorted(hostile.items())}}))
    if fives:
        sys.exit(1)


if __name__ == "__main__":
    main()
