"""The grading queue over 10,000 submissions, against a bare Flask + Jinja page rendering the same
rows in the same run (target: ≤ 2×), and the number of queries per page at two page sizes (no N+1).
Usage: python bench/grading_queue.py [postgres|sqlite]"""
from __future__ import annotations

import json
import statistics
import sys
import time

from _portal import login, portal, seed_queue
from flask import Flask, render_template_string
from sqlalchemy import event, func, select

BARE = """<p>{% for state, n in counts %}{{ state }}: {{ n }} {% endfor %}</p><table>{% for s in rows %}<tr><td>{{ s.fullname }}</td><td>{{ s.name }}</td><td>{{ s.uploaded_at }}</td>
<td>{{ s.status }}</td><td>{{ s.review_state }}</td></tr>{% endfor %}</table>"""


def timed(fn, n=30) -> float:
    fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgres"
    with portal(kind) as app:
        from portal.extensions import db
        from portal.models import Assignment, Submission, User
        from portal.services import grading

        teacher = seed_queue(10_000)
        client = app.test_client()
        login(client, teacher)
        assert client.get("/grading/").status_code == 200
        portal_ms = timed(lambda: client.get("/grading/?page=7"))

        # The baseline needs the same data as the page (its rows and the counts per state) but uses
        # plain Core queries, no auth, no ORM objects and a bare template.
        bare = Flask("bare")
        bare_q = (select(User.fullname, Assignment.name, Submission.uploaded_at, Submission.status,
                         Submission.review_state).join(Submission.student).join(Submission.assignment)
                  .order_by(Submission.uploaded_at.desc()).limit(25).offset(150))
        counts_q = select(Submission.review_state, func.count()).group_by(Submission.review_state)

        engine = db.engine

        @bare.get("/")
        def page():
            with engine.connect() as conn:
                return render_template_string(BARE, rows=conn.execute(bare_q).all(),
                                              counts=conn.execute(counts_q).all())
        bare_client = bare.test_client()
        assert bare_client.get("/").status_code == 200 and "Student" in bare_client.get("/").text
        bare_ms = timed(lambda: bare_client.get("/"))

        counts = {}
        for size in (10, 50):
            grading.PAGE_SIZE = size
            statements = []
            listener = lambda *a, **k: statements.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            client.get("/grading/")
            event.remove(db.engine, "before_cursor_execute", listener)
            counts[size] = len(statements)
    ratio = portal_ms / bare_ms
    print(f"database: {kind}, 10,000 submissions")
    print(f"portal queue page (filters, counts, sync state, 25 rows): {portal_ms:.1f} ms median")
    print(f"bare Flask + Jinja page, same 25 rows and counts: {bare_ms:.1f} ms median")
    print(f"ratio: {ratio:.2f}x (target <= 2x)")
    print(f"queries per page: {counts[10]} at 10 rows, {counts[50]} at 50 rows (constant: no N+1)")
    print(json.dumps({"db": kind, "portal_ms": round(portal_ms, 2), "bare_ms": round(bare_ms, 2),
                      "ratio": round(ratio, 2), "queries_10_rows": counts[10], "queries_50_rows": counts[50]}))


if __name__ == "__main__":
    main()
