"""The teacher's queue in a real browser, driven with the keyboard; the grade reaches Moodle."""
from decimal import Decimal

from portal.models import Comment, Submission
from portal.services import outbox
from portal.services.roster import moodle_client
from tests.support.browser import wait_js


def test_keyboard_triage_grade_comment_approve_and_sync(page, live_portal, moodle_emulator, stream_emulator,
                                                       make, make_video, db):
    course = make.course(make.company(), fullname="Field Geology")
    a = make.assignment(course, cmid=101, moodle_id=1, grade_max=Decimal(100), name="River walk video")
    teacher = make.teacher(course, username="teacher1")
    student = make.student(course, username="student1", fullname="Sam Student")
    student.moodle_id = moodle_emulator.user("student1").id
    db.session.commit()
    uid = stream_emulator.ready_video(make_video(6))
    sub = make.submission(a, student, status="ready", stream_uid=uid, duration_seconds=6.0)

    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/")
    page.keyboard.press("j")                                   # first row, review pane loads
    page.wait_for_selector("#review[data-id]")
    frame = page.frame_locator("#stream-player")
    frame.locator("video").wait_for()
    page.keyboard.press(" ")                                   # play (the player is muted-autoplay friendly)
    page.wait_for_timeout(1500)
    page.keyboard.press("c")                                   # comment at the current time
    assert page.evaluate("document.activeElement.id") == "comment-body"
    at = float(page.locator("#comment-at").input_value())
    page.keyboard.type("Good establishing shot")
    page.keyboard.press("Enter")
    page.wait_for_selector("#comments li button.seek")
    page.keyboard.press("Escape")
    page.keyboard.press("g")
    assert page.evaluate("document.activeElement.id") == "grade"
    page.keyboard.type("88")
    page.keyboard.press("Escape")
    page.keyboard.press("a")                                   # approve
    page.wait_for_selector("#saved")
    db.session.expire_all()
    saved = db.session.get(Submission, sub.id)
    assert saved.grade == Decimal(88) and saved.review_state == "approved"
    assert saved.first_viewed_at is not None          # the first play started the review (a POST)
    assert [c.body for c in db.session.query(Comment)] == ["Good establishing shot"] and at >= 0

    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        outbox.drain(pdb.session, moodle_client())
    got = moodle_emulator.grades(1)[student.moodle_id]
    assert got["grade"] == 88.0 and "Good establishing shot" in got["feedback"]
    page.goto(f"{live_portal.url}/grading/")
    assert page.locator("[data-sync='synced']").count() == 1


def test_shortcuts_can_be_turned_off_and_help_opens(page, live_portal, make, db):
    course = make.course()
    teacher = make.teacher(course)
    make.submission(make.assignment(course), status="ready")
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/")
    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    page.keyboard.press("Escape")
    page.click("#shortcuts-toggle")
    page.keyboard.press("j")
    page.wait_for_timeout(300)
    assert page.locator("#review[data-id]").count() == 0       # off: J does nothing
    page.click("#shortcuts-toggle")


def test_filters_are_htmx_swaps_that_keep_the_url(page, live_portal, make, db):
    course = make.course()
    teacher = make.teacher(course)
    a = make.assignment(course)
    make.submission(a, status="ready", review_state="approved")
    make.submission(a, status="ready")
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/")
    page.select_option("select[name=review]", "approved")
    page.wait_for_url("**review=approved**")
    wait_js(page, "document.querySelectorAll('#queue-rows tr[data-id]').length === 1")
    page.go_back()
    wait_js(page, "document.querySelectorAll('#queue-rows tr[data-id]').length === 2")
