"""Retention dry-run and legal hold, alerts, the admin pages and the audit log search."""
from datetime import timedelta

import pytest

from portal.models import AuditEntry, OutboxMessage, Submission
from portal.services import alerts, retention
from portal.models import utcnow
from tests.support.login import login


class NoStream:
    """A dry run must not call Stream at all: any call fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"Stream was called: {name}")


def test_dry_run_lists_due_videos_and_changes_nothing(make, db):
    now = utcnow()
    due = make.submission(status="ready", delete_after=now - timedelta(days=1))
    held = make.submission(status="ready", delete_after=now - timedelta(days=1), legal_hold=True)
    make.submission(status="ready", delete_after=now + timedelta(days=30))
    result = retention.run(NoStream(), now=now, dry_run=True)
    assert [s.id for s in result.deleted] == [due.id] and [s.id for s in result.held] == [held.id]
    db.session.expire_all()
    assert {s.status for s in db.session.query(Submission)} == {"ready"}
    assert db.session.query(AuditEntry).count() == 0 and db.session.query(OutboxMessage).count() == 0


def test_students_and_teachers_are_warned_once_before_deletion(make, db):
    now = utcnow()
    soon = make.submission(status="ready", delete_after=now + timedelta(days=3))
    told = []
    retention.run(NoStream(), now=now, notify=told.append)
    retention.run(NoStream(), now=now, notify=told.append)
    assert [s.id for s in told] == [soon.id]
    assert db.session.query(AuditEntry).filter_by(action="retention.warning").count() == 1


def test_alerts_count_what_needs_a_person(make, db):
    make.submission(status="error", error_code="ERR_NON_VIDEO")
    make.submission(status="processing", created_at=utcnow() - timedelta(hours=5))
    counts = {a.kind: a.count for a in alerts.collect()}
    assert counts["processing_errors"] == 1 and counts["stuck"] == 1 and counts["dead_syncs"] == 0


@pytest.mark.parametrize("who", ["student", "teacher", "manager"])
def test_admin_pages_are_for_site_admins_only(client, make, who):
    course = make.course(make.company())
    user = {"student": lambda: make.student(course), "teacher": lambda: make.teacher(course),
            "manager": lambda: make.manager_of(course.company)}[who]()
    login(client, user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_admin_sets_a_legal_hold_with_a_reason_and_it_is_audited(client, make, db):
    admin = make.user("root", is_site_admin=True)
    sub = make.submission(status="ready", delete_after=utcnow() + timedelta(days=2))
    token = login(client, admin)
    assert client.get("/admin/").status_code == 200
    r = client.post(f"/admin/submissions/{sub.id}/hold", data={"hold": "1", "reason": "",
                                                               "csrf_token": token})
    assert r.status_code == 422
    client.post(f"/admin/submissions/{sub.id}/hold", data={"hold": "1", "reason": "appeal #12",
                                                          "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).legal_hold is True
    page = client.get("/admin/audit?action=retention.hold")
    assert "retention.hold" in page.text and "appeal #12" in page.text and "root" in page.text
    assert "appeal" not in client.get("/admin/audit?action=review.").text


def test_alert_digest_is_mailed_through_smtp(make, db):
    from aiosmtpd.controller import Controller

    from tests.support.servers import free_port

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        make.submission(status="error", error_code="ERR_NON_VIDEO")
        sent = alerts.send_digest(f"smtp://127.0.0.1:{port}", "ops@example.org", alerts.collect(),
                                  "https://portal.example.org")
        assert sent and inbox.messages[0].rcpt_tos == ["ops@example.org"]
        body = inbox.messages[0].content.decode()
        assert "Videos Stream could not process: 1" in body and "https://portal.example.org/admin/" in body
        assert not alerts.send_digest("", "ops@example.org", alerts.collect(), "x")       # not configured
    finally:
        controller.stop()


def test_managers_see_their_companys_part_of_the_audit_log_only(client, make, db):
    from portal.audit import record

    a, b = make.company("Acme"), make.company("Beta")
    manager = make.manager_of(a)
    record("export.csv", manager, object_type="company", object_id=a.id, company_id=a.id, table="students")
    record("export.csv", None, object_type="company", object_id=b.id, company_id=b.id, table="secret-beta")
    db.session.commit()
    login(client, manager)
    page = client.get(f"/reports/companies/{a.id}/audit")
    assert page.status_code == 200 and "students" in page.text and "secret-beta" not in page.text
    assert client.get(f"/reports/companies/{b.id}/audit").status_code == 404


def test_playback_token_errors_are_alerted(client, make, db):
    """The session app has no signing key: the teacher is told, and the alert counts it."""
    course = make.course()
    teacher = make.teacher(course)
    sub = make.submission(make.assignment(course), status="ready")
    login(client, teacher)
    page = client.get(f"/grading/{sub.id}")
    assert page.status_code == 200 and "no signing key" in page.text
    assert {a.kind: a.count for a in alerts.collect()}["playback_errors"] == 1
    admin = make.user("root2", is_site_admin=True)
    login(client, admin)
    rows = client.get("/admin/alerts/playback_errors")
    assert rows.status_code == 200 and "no signing key configured" in rows.text


def test_admin_retry_puts_a_dead_sync_back_in_the_queue(client, make, db):
    from portal.models import OutboxMessage

    admin = make.user("root", is_site_admin=True)
    sub = make.submission(status="ready")
    dead = OutboxMessage(kind="grade", idempotency_key="grade:dead", submission_id=sub.id, payload={},
                         state="dead", attempts=8, last_error="Moodle refused it",
                         locked_until=utcnow() + timedelta(minutes=1))
    db.session.add(dead)
    db.session.commit()
    token = login(client, admin)
    r = client.post(f"/admin/outbox/{dead.id}/retry", data={"csrf_token": token})
    assert r.status_code == 302
    db.session.expire_all()
    m = db.session.get(OutboxMessage, dead.id)
    assert (m.state, m.attempts, m.last_error, m.locked_until) == ("pending", 0, None, None)
    assert m.next_attempt_at <= utcnow()


def test_admin_retry_of_a_delivered_sync_sends_nothing_again(client, make, db):
    """Issue 18.7: a retried `done` row was delivered a second time."""
    admin = make.user("root3", is_site_admin=True)
    sub = make.submission(status="ready")
    done = OutboxMessage(kind="grade", idempotency_key="grade:done", submission_id=sub.id, payload={},
                         state="done", attempts=1, sent_at=utcnow())
    db.session.add(done)
    db.session.commit()
    token = login(client, admin)
    r = client.post(f"/admin/outbox/{done.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "Moodle already has this one" in r.text
    db.session.expire_all()
    m = db.session.get(OutboxMessage, done.id)
    assert (m.state, m.attempts) == ("done", 1)


def test_moodle_away_for_long_is_an_alert_and_not_a_dead_row(make, db, app):
    sub = make.submission(status="ready")
    tries = app.config["SETTINGS"].outbox_max_attempts
    for n, attempts in enumerate((1, tries)):
        db.session.add(OutboxMessage(kind="grade", idempotency_key=f"grade:away{n}", submission_id=sub.id,
                                     payload={}, state="pending", attempts=attempts,
                                     last_error="Moodle is not answering"))
    db.session.commit()
    counts = {a.kind: a.count for a in alerts.collect()}
    assert counts["moodle_away"] == 1 and counts["dead_syncs"] == 0
