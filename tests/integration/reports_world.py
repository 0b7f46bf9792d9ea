"""Two companies with known submissions, reviews and usage: every report figure is worked out by
hand in the docstrings of the tests that use it (tests/integration/test_reports_*.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from portal.models import UsageDay

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@dataclass
class World:
    now: datetime = NOW
    objs: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objs[name]
        except KeyError:
            raise AttributeError(name) from None


def build(make, db) -> World:
    """Acme (company A): course Geology (students s1 s2 s3, teacher t1; assignments X due 10 days
    ago, Y due in 7 days) and course Biology (students s4 s5, teacher t2; assignment Z due 20 days
    ago). Beta (company B): course Secret Course, student sb, assignment W.

    X: s1 ready, submitted -12d, viewed -11d, graded -10d by t1, approved
       s2 attempt 1 ready, -12d, viewed -11d, graded -9d by t1, resubmit
       s2 attempt 2 ready, -9d, new                     -> overdue (7 days passed)
       s3 only an unfinished upload                     -> not submitted
    Y: s1 processing, -1d, new                          (s2, s3 not submitted)
    Z: s4 ready, -30d, viewed -29d, in review           -> overdue (due -20d, +7 passed)
       s5 upload failed                                 -> not submitted
    W: sb ready (Beta)
    """
    w = World()
    o = w.objs
    now = w.now
    o["acme"] = make.company("Acme Fieldwork", monthly_budget_cents=5000)
    o["beta"] = make.company("Beta Secret Co")
    o["geo"] = make.course(o["acme"], fullname="Geology Fieldwork")
    o["bio"] = make.course(o["acme"], fullname="Biology Fieldwork")
    o["secret"] = make.course(o["beta"], fullname="Secret Course")
    for name, course in (("s1", "geo"), ("s2", "geo"), ("s3", "geo"), ("s4", "bio"), ("s5", "bio"),
                         ("sb", "secret")):
        o[name] = make.student(o[course], username=name, fullname=f"Student {name.upper()}")
    o["t1"] = make.teacher(o["geo"], username="t1", fullname="Teacher One")
    o["t2"] = make.teacher(o["bio"], username="t2", fullname="Teacher Two")
    o["manager_a"] = make.manager_of(o["acme"], make.user("manager_a", fullname="Manager A"))
    o["manager_b"] = make.manager_of(o["beta"], make.user("manager_b", fullname="Manager B"))
    o["admin"] = make.user("admin", is_site_admin=True, fullname="Site Admin")
    o["X"] = make.assignment(o["geo"], name="Field video X", due_at=now - 10 * DAY)
    o["Y"] = make.assignment(o["geo"], name="Field video Y", due_at=now + 7 * DAY)
    o["Z"] = make.assignment(o["bio"], name="Field video Z", due_at=now - 20 * DAY)
    o["W"] = make.assignment(o["secret"], name="Secret assignment W", due_at=now - 5 * DAY)

    def sub(key, assignment, student, days_ago, **kw):
        at = now - days_ago * DAY
        kw.setdefault("duration_seconds", 600.0)
        kw.setdefault("ready_at", at if kw.get("status", "ready") == "ready" else None)
        o[key] = make.submission(o[assignment], o[student], created_at=at - timedelta(minutes=5),
                                 uploaded_at=at, **kw)

    sub("s1X", "X", "s1", 12, first_viewed_at=now - 11 * DAY, graded_at=now - 10 * DAY,
        graded_by=o["t1"], review_state="approved", grade=Decimal("85"))
    sub("s2X1", "X", "s2", 12, first_viewed_at=now - 11 * DAY, graded_at=now - 9 * DAY,
        graded_by=o["t1"], review_state="resubmit", grade=Decimal("40"))
    sub("s2X2", "X", "s2", 9, attempt=2)
    sub("s3X", "X", "s3", 2, status="uploading", duration_seconds=None)
    sub("s1Y", "Y", "s1", 1, status="processing", duration_seconds=None)
    sub("s4Z", "Z", "s4", 30, first_viewed_at=now - 29 * DAY, review_state="in_review")
    sub("s5Z", "Z", "s5", 3, status="error", duration_seconds=None)
    sub("sbW", "W", "sb", 4)
    return w


def add_usage(db, w: World) -> None:
    """February: Geology peaks at 300 min on the 20th, Biology at 250 on the 10th, so Acme's
    fullest day is the 20th (300 + 100 = 400); delivered 1,000 + 500 + 2,000 = 3,500 min.
    March (to the 14th): Geology 4,400 every day, 100 delivered a day."""
    rows = [("geo", date(2026, 2, 10), 100, 1000), ("bio", date(2026, 2, 10), 250, 500),
            ("geo", date(2026, 2, 20), 300, 2000), ("bio", date(2026, 2, 20), 100, 0),
            ("secret", date(2026, 2, 20), 99999, 99999)]
    rows += [("geo", date(2026, 3, d), 4400, 100) for d in range(1, 15)]
    for course, day, stored, delivered in rows:
        db.session.add(UsageDay(course_id=w.objs[course].id, day=day, minutes_stored=stored,
                                minutes_delivered=delivered))
    db.session.commit()
