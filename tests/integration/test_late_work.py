"""Late work (issue 15, item 9): a student uploading after the due date is told first; Moodle's
cut-off date closes the assignment, in words, as Moodle does; the teacher reads "late by 2 h"."""
from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

from portal.models import Submission, utcnow
from portal.services.submissions import human_lateness, lateness
from tests.support.login import login


def _tus_headers(token):
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"filename": "walk.mp4", "filetype": "video/mp4", "duration": "3", "fingerprint": "v1-x"}.items())
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "1000", "Upload-Metadata": meta, "X-CSRFToken": token}


def test_after_the_due_date_the_student_is_warned_and_may_still_upload(client, make):
    course = make.course(make.company())
    cutoff = utcnow() + timedelta(days=2)
    a = make.assignment(course, due_at=utcnow() - timedelta(hours=3), cutoff_at=cutoff)
    login(client, make.student(course))
    page = client.get(f"/a/{a.cmid}").text
    assert 'id="late-note"' in page and "marked late" not in page
    assert "The due date was" in page and "your teacher will see the video as late" in page
    assert f"until {cutoff:%d %b %Y %H:%M} UTC" in page
    assert 'id="upload"' in page


def test_on_time_there_is_no_warning(client, make):
    course = make.course(make.company())
    a = make.assignment(course, due_at=utcnow() + timedelta(hours=3))
    login(client, make.student(course))
    assert 'id="late-note"' not in client.get(f"/a/{a.cmid}").text


def test_after_moodles_cutoff_no_new_submission_in_words(client, make, db):
    course = make.course(make.company())
    a = make.assignment(course, due_at=utcnow() - timedelta(days=2), cutoff_at=utcnow() - timedelta(hours=1))
    token = login(client, make.student(course))
    page = client.get(f"/a/{a.cmid}").text
    assert "no longer accepts submissions" in page and 'id="upload"' not in page
    r = client.post(f"/uploads/{a.cmid}/tus", headers=_tus_headers(token))
    assert r.status_code == 403 and "cut-off date has passed" in r.get_json()["message"]
    assert db.session.query(Submission).count() == 0


def test_lateness_in_words():
    due = utcnow()
    assert lateness(due + timedelta(hours=2, minutes=40), due) == "late by 2 h"
    assert lateness(due + timedelta(minutes=25), due) == "late by 25 min"
    assert lateness(due + timedelta(days=3, hours=1), due) == "late by 3 days"
    assert lateness(due - timedelta(minutes=1), due) is None
    assert lateness(None, due) is None and lateness(due, None) is None
    assert human_lateness(timedelta(seconds=5)) == "late by 1 min"


def test_teacher_sees_late_by_in_queue_row_and_review_pane(client, make):
    course = make.course(make.company())
    teacher = make.teacher(course)
    due = utcnow() - timedelta(hours=5)
    a = make.assignment(course, grade_max=Decimal(10), due_at=due)
    late = make.submission(a, make.student(course), uploaded_at=due + timedelta(hours=2, minutes=5))
    on_time = make.submission(a, make.student(course), uploaded_at=due - timedelta(hours=1))
    login(client, teacher)
    queue = client.get("/grading/").text
    row = queue.split(f'data-id="{late.id}"')[1].split("</tr>")[0]
    assert "late by 2 h" in row
    assert "late by" not in queue.split(f'data-id="{on_time.id}"')[1].split("</tr>")[0]
    pane = client.get(f"/grading/{late.id}").text
    assert "late by 2 h" in pane
