"""A teacher grading many videos: the queue moves on by itself after Approve, rows and pane agree,
focus never falls to the page body, and a save that dies on the network says so and keeps the text."""
from decimal import Decimal

from portal.models import Submission
from tests.support.browser import wait_js


def _world(make, db, n=3):
    course = make.course()
    teacher = make.teacher(course)
    # "Manually" reopened in Moodle: the only setting where "Request resubmission" is offered.
    a = make.assignment(course, grade_max=Decimal(10), name="River walk", reopen_method="manual")
    subs = [make.submission(a, make.student(course, fullname=f"Student {i}"), status="ready") for i in range(n)]
    return teacher, subs


def _row_review(page, sub_id):
    return page.evaluate(f"document.querySelector('#queue-rows tr[data-id=\"{sub_id}\"]').dataset.review")


def test_approve_moves_on_to_the_next_submission_and_rows_follow_the_pane(page, live_portal, make, db):
    teacher, subs = _world(make, db)
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/")
    first = page.locator("#queue-rows tr[data-id]").first.get_attribute("data-id")
    page.keyboard.press("j")
    wait_js(page, f"document.querySelector('#review[data-id=\"{first}\"]') !== null")
    # focus lands on the pane's heading, not the page body (after the swap settles)
    wait_js(page, "document.activeElement && document.activeElement.id === 'review-title'")
    # opening it changes nothing (a GET, 18.11); the first play starts the review, and the row says so
    assert _row_review(page, first) == "new"
    # what static/js/grading.js sends on the player's first "play" (this world's videos have no player)
    page.evaluate("(p => htmx.ajax('POST', p.dataset.openedUrl, {source: p, swap: 'none'}))(document.getElementById('review'))")
    wait_js(page, f"document.querySelector('#queue-rows tr[data-id=\"{first}\"]').dataset.review === 'in_review'")
    assert "Being reviewed" in page.locator(f"#queue-rows tr[data-id='{first}']").inner_text()

    page.keyboard.press("g")
    page.keyboard.type("8")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    wait_js(page, f"document.querySelector('#review[data-id]') && document.querySelector('#review').dataset.id !== '{first}'")
    second = page.get_attribute("#review", "data-id")
    assert "Saved and approved" in page.inner_text("#messages") and "Next:" in page.inner_text("#messages")
    wait_js(page, f"document.querySelector('#queue-rows tr[data-id=\"{first}\"]').dataset.review === 'approved'")
    wait_js(page, "document.activeElement && document.activeElement.id === 'review-title'")
    assert page.locator(f"#queue-rows tr[data-id='{second}']").get_attribute("class") == "selected"
    db.session.expire_all()
    assert db.session.get(Submission, int(first)).review_state == "approved"

    page.keyboard.press("g")                                       # the second one, keyboard only
    page.keyboard.type("6")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    wait_js(page, f"document.querySelector('#review').dataset.id !== '{second}'")
    db.session.expire_all()
    assert db.session.get(Submission, int(second)).review_state == "resubmit"


def test_a_save_lost_on_the_network_says_so_keeps_the_text_and_saves_again(page, live_portal, make, db):
    teacher, subs = _world(make, db, n=1)
    sub = subs[0]
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/{sub.id}")
    page.fill("#grade", "7.5")
    page.fill("#feedback", "Steady camera, clear voice.")
    failing = lambda route: route.abort("internetdisconnected")
    page.route(f"**/grading/{sub.id}", lambda route: failing(route) if route.request.method == "POST" else route.continue_())
    page.click("button[value=save]")
    page.wait_for_selector("#save-problem:not([hidden])")
    assert "Not saved" in page.inner_text("#save-problem")
    assert page.input_value("#grade") == "7.5" and page.input_value("#feedback") == "Steady camera, clear voice."
    assert page.evaluate("document.activeElement.id") == "save-again"
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).grade is None

    page.unroute(f"**/grading/{sub.id}")
    page.click("#save-again")
    page.wait_for_selector("#saved")
    db.session.expire_all()
    saved = db.session.get(Submission, sub.id)
    assert saved.grade == Decimal("7.5") and saved.feedback == "Steady camera, clear voice."


def test_a_server_error_on_save_says_so_and_keeps_the_text(page, live_portal, make, db):
    teacher, subs = _world(make, db, n=1)
    sub = subs[0]
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/{sub.id}")
    page.fill("#grade", "9")
    page.route(f"**/grading/{sub.id}", lambda route: route.fulfill(status=502, body="Bad gateway")
               if route.request.method == "POST" else route.continue_())
    page.click("#approve")
    page.wait_for_selector("#save-problem:not([hidden])")
    assert "502" in page.inner_text("#save-problem") and page.input_value("#grade") == "9"


def test_feedback_shows_how_much_room_is_left(page, live_portal, make, db):
    teacher, subs = _world(make, db, n=1)
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/{subs[0].id}")
    page.fill("#feedback", "abc")
    assert page.inner_text("#feedback-count") == "3 of 20,000 characters"
    assert page.get_attribute("#feedback", "maxlength") == "20000"


def test_any_request_lost_on_the_network_is_told(page, live_portal, make, db):
    teacher, subs = _world(make, db, n=1)
    live_portal.login(page, teacher)
    page.goto(f"{live_portal.url}/grading/")
    page.route(f"**/grading/{subs[0].id}", lambda route: route.abort("internetdisconnected"))
    page.keyboard.press("j")                                       # opening a review, not a form
    page.wait_for_selector("#messages [role=alert]")
    assert "could not be reached" in page.inner_text("#messages")
