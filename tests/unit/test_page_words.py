"""Words on pages are what a person would say: no raw keys such as 'stuck' or 'Review: new'."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.models import utcnow
from tests.support.login import login


def test_admin_alert_list_is_headed_in_words(client, make, db):
    make.submission(status="processing", created_at=utcnow() - timedelta(hours=5))
    login(client, make.user("root", is_site_admin=True))
    page = client.get("/admin/alerts/stuck")
    assert page.status_code == 200
    assert "<h2>Videos stuck uploading or processing</h2>" in page.text and "<h2>stuck</h2>" not in page.text
    assert "Processing" in page.text and "<th>Student</th>" in page.text


def test_student_status_reads_in_words(client, make, db):
    course = make.course()
    student = make.student(course)
    a = make.assignment(course, grade_max=Decimal(10))
    sub = make.submission(a, student, status="ready", review_state="approved", grade=Decimal("7.5"))
    login(client, student)
    page = client.get(f"/uploads/{sub.id}/status")
    assert "Review: approved" not in page.text and "Approved" in page.text and "7.5 / 10" in page.text
