"""The student sees the teacher's time-coded comments under their own player; a comment's time
seeks the player there."""
from decimal import Decimal

from portal.models import Comment


def _frame_time(page) -> float:
    frame = page.locator("#stream-player").element_handle().content_frame()
    return frame.evaluate("document.getElementById('video').currentTime")


def test_student_sees_comments_and_a_time_seeks_the_player(page, live_portal, stream_emulator, make, make_video, db):
    course = make.course()
    a = make.assignment(course, grade_max=Decimal(10))
    teacher = make.teacher(course, fullname="Tess Teacher")
    student = make.student(course)
    uid = stream_emulator.ready_video(make_video(8))
    sub = make.submission(a, student, status="ready", stream_uid=uid, duration_seconds=8.0,
                          review_state="approved", grade=Decimal(9))
    db.session.add_all([Comment(submission=sub, author=teacher, at_seconds=5.0, body="Steady here"),
                        Comment(submission=sub, author=teacher, at_seconds=1.5, body="Nice opening")])
    db.session.commit()

    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/uploads/{sub.id}/watch")
    items = page.locator("#video-comments li")
    assert items.count() == 2
    assert "0:01" in items.nth(0).inner_text() and "Nice opening" in items.nth(0).inner_text()
    assert "Steady here" in items.nth(1).inner_text() and "Tess Teacher" in items.nth(1).inner_text()
    frame = page.locator("#stream-player").element_handle().content_frame()
    frame.locator("video").wait_for()
    for _ in range(300):            # metadata loaded: the player can seek
        if frame.evaluate("document.getElementById('video').readyState >= 1"):
            break
        page.wait_for_timeout(50)
    frame.evaluate("document.getElementById('video').muted = true")
    items.nth(1).get_by_role("button").click()
    for _ in range(300):
        if _frame_time(page) >= 4.9:
            break
        page.wait_for_timeout(50)
    assert _frame_time(page) >= 4.9


def test_comments_wait_until_the_review_is_given(page, live_portal, stream_emulator, make, make_video, db):
    course = make.course()
    teacher = make.teacher(course)
    student = make.student(course)
    uid = stream_emulator.ready_video(make_video(3))
    sub = make.submission(make.assignment(course), student, status="ready", stream_uid=uid,
                          review_state="in_review")
    db.session.add(Comment(submission=sub, author=teacher, at_seconds=1.0, body="Draft thought"))
    db.session.commit()
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/uploads/{sub.id}/watch")
    page.locator("#stream-player").wait_for()
    assert "Draft thought" not in page.content()


def test_the_comment_link_in_moodle_opens_the_students_player_at_that_moment(page, live_portal, stream_emulator,
                                                                            make, make_video, db):
    course = make.course()
    student = make.student(course)
    uid = stream_emulator.ready_video(make_video(8))
    sub = make.submission(make.assignment(course), student, status="ready", stream_uid=uid,
                          review_state="approved", grade=Decimal(9))
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/grading/{sub.id}?t=5")          # the link as Moodle's feedback has it
    assert f"/uploads/{sub.id}/watch" in page.url
    assert "startTime=5s" in page.get_attribute("#stream-player", "src")
    for _ in range(300):
        if _frame_time(page) >= 4.9:
            break
        page.wait_for_timeout(50)
    assert _frame_time(page) >= 4.9
