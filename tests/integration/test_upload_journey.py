"""The student's upload over HTTP, against the live portal and the Stream emulator: the portal
only creates the upload; the bytes go straight to Stream."""
from __future__ import annotations

import base64
import time

import pytest
import requests
from tusclient import client as tus

from portal.models import OutboxMessage, Submission


def meta(**kw) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in kw.items())


def session_for(live_portal, user) -> requests.Session:
    s = requests.Session()
    live_portal.login(s, user)
    page = s.get(f"{live_portal.url}/")
    s.headers["X-CSRFToken"] = page.text.split('"X-CSRFToken": "')[1].split('"')[0]
    return s


def create(s, live_portal, cmid, length, **kw):
    fields = dict(filename="walk.mp4", filetype="video/mp4", duration="3.0", fingerprint="v1-abc")
    fields.update(kw)
    return s.post(f"{live_portal.url}/uploads/{cmid}/tus", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(length), "Upload-Metadata": meta(**fields)})


@pytest.fixture
def student_setup(make):
    course = make.course(make.company())
    assignment = make.assignment(course, max_minutes=1, max_bytes=50 * 1024 * 1024, max_attempts=2)
    return assignment, make.student(course), make.student(course)


def worker_round(app) -> int:
    """What `flask worker` does every second: apply the Stream webhook events stored so far."""
    from portal.services import stream_events

    with app.app_context():
        return stream_events.apply_all()


def wait_for(db, sub_id, status, app, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker_round(app)
        db.session.expire_all()
        sub = db.session.get(Submission, sub_id)
        if sub.status == status:
            return sub
        time.sleep(0.1)
    raise AssertionError(f"submission {sub_id} stayed {sub.status}")


def test_upload_goes_straight_to_stream_and_becomes_ready(live_portal, stream_emulator, student_setup,
                                                         make_video, db):
    assignment, student, _ = student_setup
    path = make_video(3)
    s = session_for(live_portal, student)
    r = create(s, live_portal, assignment.cmid, path.stat().st_size)
    assert r.status_code == 201, r.text
    location = r.headers["Location"]
    assert location.startswith(stream_emulator.url + "/tus/")     # not the portal
    again = create(s, live_portal, assignment.cmid, path.stat().st_size)   # a retried creation
    assert again.status_code == 201 and again.headers["Location"] == location
    tus.TusClient(location).uploader(str(path), url=location, chunk_size=5 * 1024 * 1024).upload()
    sub = wait_for(db, int(r.headers["X-Submission-Id"]), "ready", live_portal.app)   # the webhook did it
    assert 2.9 <= sub.duration_seconds <= 3.2 and sub.delete_after is not None
    assert db.session.query(Submission).count() == 1
    record = db.session.query(OutboxMessage).filter_by(kind="record_video").one()
    assert record.payload["streamuid"] == sub.stream_uid and record.payload["userid"] == student.moodle_id
    page = s.get(f"{live_portal.url}/a/{assignment.cmid}")
    assert "Ready" in page.text and "Watch" in page.text
    watch = s.get(f"{live_portal.url}/uploads/{sub.id}/watch")
    assert watch.status_code == 200 and f"{stream_emulator.customer_domain}/" in watch.text
    iframe = watch.text.split('id="stream-player" src="')[1].split('"')[0]
    assert requests.get(iframe).status_code == 200       # a token the player accepts
    s.get(f"{live_portal.url}/uploads/{sub.id}/watch")
    from portal.models import AuditEntry
    assert db.session.query(AuditEntry).filter_by(action="playback.token").count() == 1   # aggregated


@pytest.mark.parametrize("length,kw,status", [
    (60 * 1024 * 1024, {}, 413),
    (1000, {"filetype": "application/pdf", "filename": "x.pdf"}, 415),
    (1000, {"duration": "90"}, 422),
])
def test_refused_creation_creates_nothing_at_stream(live_portal, stream_emulator, student_setup, db,
                                                    length, kw, status):
    assignment, student, _ = student_setup
    before = len(stream_emulator.client().list_videos())
    r = create(session_for(live_portal, student), live_portal, assignment.cmid, length, **kw)
    assert r.status_code == status and r.json()["message"]
    assert len(stream_emulator.client().list_videos()) == before
    assert db.session.query(Submission).count() == 0


def test_creation_needs_the_csrf_token(live_portal, student_setup, db):
    assignment, student, _ = student_setup
    s = session_for(live_portal, student)
    del s.headers["X-CSRFToken"]
    assert create(s, live_portal, assignment.cmid, 1000).status_code == 400
    assert db.session.query(Submission).count() == 0


def test_another_student_cannot_see_or_resume_the_upload(live_portal, student_setup, db):
    assignment, student, other = student_setup
    r = create(session_for(live_portal, student), live_portal, assignment.cmid, 6 * 1024 * 1024)
    sub_id = int(r.headers["X-Submission-Id"])
    s2 = session_for(live_portal, other)
    assert s2.get(f"{live_portal.url}/uploads/{sub_id}/status").status_code == 404
    assert s2.get(f"{live_portal.url}/uploads/{sub_id}/watch").status_code == 404
    page = s2.get(f"{live_portal.url}/a/{assignment.cmid}")
    assert r.headers["Location"] not in page.text
    assert s2.post(f"{live_portal.url}/uploads/{sub_id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(Submission, sub_id).status == "uploading"


def test_a_different_file_while_one_is_in_flight_is_409(live_portal, student_setup):
    assignment, student, _ = student_setup
    s = session_for(live_portal, student)
    assert create(s, live_portal, assignment.cmid, 6 * 1024 * 1024).status_code == 201
    r = create(s, live_portal, assignment.cmid, 7 * 1024 * 1024, fingerprint="v1-other")
    assert r.status_code == 409 and "in progress" in r.json()["message"]


def test_lost_webhook_is_caught_up_by_the_reconciler(live_portal, stream_emulator, student_setup, make_video, db):
    from portal.services.reconcile import reconcile

    assignment, student, _ = student_setup
    path = make_video(3)
    r = create(session_for(live_portal, student), live_portal, assignment.cmid, path.stat().st_size)
    stream_emulator.drop_webhooks(1)
    tus.TusClient(r.headers["Location"]).uploader(str(path), url=r.headers["Location"]).upload()
    uid = r.headers["stream-media-id"]
    stream_emulator.wait_for_state(uid, "ready")
    time.sleep(0.3)
    worker_round(live_portal.app)                     # nothing was stored, so nothing to apply
    db.session.expire_all()
    assert db.session.get(Submission, int(r.headers["X-Submission-Id"])).status == "uploading"
    with live_portal.app.app_context():
        report = reconcile(stream_emulator.client())
        assert report.changed == 1
    wait_for(db, int(r.headers["X-Submission-Id"]), "ready", live_portal.app)


def test_processing_error_is_shown_with_what_to_do(live_portal, stream_emulator, student_setup, tmp_path, db):
    assignment, student, _ = student_setup
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"not a video at all" * 500)
    s = session_for(live_portal, student)
    r = create(s, live_portal, assignment.cmid, path.stat().st_size)
    tus.TusClient(r.headers["Location"]).uploader(str(path), url=r.headers["Location"]).upload()
    wait_for(db, int(r.headers["X-Submission-Id"]), "error", live_portal.app)
    page = s.get(f"{live_portal.url}/a/{assignment.cmid}")
    assert "not a video" in page.text and "MP4" in page.text
    assert "Upload a new attempt" in page.text          # an error does not use up an attempt
