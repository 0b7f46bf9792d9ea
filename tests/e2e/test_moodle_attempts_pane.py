"""The review pane in a real browser: what Moodle will and will not do with this attempt."""
import re
from decimal import Decimal

import requests

from portal.models import Submission


def test_pane_shows_moodle_grade_newer_attempt_and_why_resubmission_is_off(page, live_portal, moodle_emulator,
                                                                            make, db):
    course = make.course(make.company(), fullname="Field Geology")
    a = make.assignment(course, cmid=101, moodle_id=1, grade_max=Decimal(100), name="River walk video")
    teacher = make.teacher(course, username="teacher1", fullname="Tom Teacher")
    teacher.moodle_id = moodle_emulator.user("teacher1").id
    student = make.student(course, username="student1", fullname="Sam Student")
    student.moodle_id = moodle_emulator.user("student1").id
    db.session.commit()
    first = make.submission(a, student, status="ready")
    second = make.submission(a, student, status="ready", attempt=2)

    s = requests.Session()                                  # teacher1 grades attempt 2 in Moodle itself
    s.post(f"{moodle_emulator.url}/login/index.php", data={"username": "teacher1", "password": "demo"})
    url = f"{moodle_emulator.url}/mod/assign/view.php?id=101&action=grader&userid={student.moodle_id}"
    sesskey = re.search(r'name="sesskey" value="([^"]+)"', s.get(url).text).group(1)
    s.post(url, data={"sesskey": sesskey, "grade": "73", "feedback": "<p>Seen in Moodle</p>"})

    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/{first.id}")
    note = page.locator("#newer-attempt")
    assert "Attempt 2 is newer" in note.inner_text()
    assert page.locator("#request-resubmission").is_disabled()
    note.locator("a").click()                               # to the attempt Moodle grades
    page.wait_for_selector(f"#review[data-id='{second.id}']")
    assert "Graded in Moodle by Tom Teacher: 73" in page.locator("#graded-in-moodle").inner_text()
    assert page.locator("#grade").input_value() == "73"
    db.session.expire_all()
    assert db.session.get(Submission, second.id).review_state == "approved"
