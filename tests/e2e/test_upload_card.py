"""The upload card as a person sees it (issue 15): one of Pause/Resume at a time and never two
transfers, a finished upload shows the attempt without nesting a page, a stale card's Cancel is
answered in words, Stream being down is said at once while the page keeps trying, the chunk size
follows the link, and the words are a person's."""
from __future__ import annotations

import pytest

from portal.models import Submission
from tests.support.browser import wait_js
from tests.support.layout import assert_no_horizontal_overflow

MiB = 1024 * 1024


def _open(page, live_portal, assignment, student):
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")


def test_one_of_pause_and_resume_and_never_two_transfers(page, live_portal, assignment_for, big_video, db):
    assignment, student = assignment_for
    _open(page, live_portal, assignment, student)
    seen = {"open": 0, "most": 0, "statuses": []}

    def opened(req):
        if req.method == "PATCH":
            seen["open"] += 1
            seen["most"] = max(seen["most"], seen["open"])

    def closed(req):
        if req.method == "PATCH":
            seen["open"] -= 1
    page.on("request", opened)
    page.on("requestfinished", closed)
    page.on("requestfailed", closed)
    page.on("response", lambda r: r.request.method == "PATCH" and seen["statuses"].append(r.status))
    page.route("**/tus/**", lambda route: (page.wait_for_timeout(300), route.continue_()))
    page.set_input_files("#file", str(big_video))
    wait_js(page, "document.getElementById('bar').value > 0")
    assert page.is_visible("#pause") and not page.is_visible("#resume")
    # Resume reached mid-upload (a script, a stale tap) must not start a second transfer.
    page.evaluate("document.getElementById('resume').click()")
    page.click("#pause")
    page.wait_for_selector("#resume", state="visible")
    assert not page.is_visible("#pause")
    wait_js(page, "document.getElementById('progress-text').textContent.includes('paused')")
    page.click("#resume")
    page.evaluate("document.getElementById('resume').click()")    # a double tap
    assert page.is_visible("#pause") and not page.is_visible("#resume")
    page.wait_for_selector("#upload-done", state="visible", timeout=30_000)
    page.unroute_all(behavior="ignoreErrors")
    assert seen["most"] == 1, seen
    assert 423 not in seen["statuses"], seen["statuses"]
    db.session.expire_all()
    assert db.session.query(Submission).count() == 1
    page.wait_for_selector("#attempts .submission[data-status='ready']", timeout=30_000)   # polls stop


def test_finished_upload_shows_the_attempt_not_a_nested_page(page, live_portal, assignment_for, make_video):
    assignment, student = assignment_for
    _open(page, live_portal, assignment, student)
    assert page.text_content("#attempts-left").strip() == "2 of 2"
    page.set_input_files("#file", str(make_video(3)))
    page.wait_for_selector("#upload-done", state="visible")
    page.wait_for_selector("#attempts .submission", state="visible")
    assert page.locator("header.topbar").count() == 1
    assert page.locator("h1").count() == 1
    assert page.locator("#upload header, #upload nav, #upload h1").count() == 0
    assert page.text_content("#attempts-left").strip() == "1 of 2"
    assert page.text_content("#upload-heading") == "Upload complete"
    page.wait_for_selector("#attempts .submission[data-status='ready']", timeout=20_000)


def test_resumed_upload_clears_the_stale_offer_and_a_stale_cancel_answers_in_words(
        browser, live_portal, assignment_for, big_video, db):
    assignment, student = assignment_for
    context = browser.new_context()
    page = context.new_page()
    _open(page, live_portal, assignment, student)
    page.route("**/tus/**", lambda route: route.abort())      # the network is cut: nothing reaches Stream
    page.set_input_files("#file", str(big_video))
    for _ in range(200):                  # the creation request has reached the portal
        db.session.expire_all()
        if db.session.query(Submission).filter(Submission.upload_url.is_not(None)).count():
            break
        page.wait_for_timeout(50)
    page.unroute_all(behavior="ignoreErrors")
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    stale = context.new_page()             # a second tab, showing the offer to resume or cancel
    stale.goto(f"{live_portal.url}/a/{assignment.cmid}")
    assert stale.is_visible("#cancel-upload")

    wait_js(page, "document.getElementById('resume-offset').dataset.offset !== undefined")
    assert page.is_visible("#resume-note")
    page.set_input_files("#file", str(big_video))
    page.wait_for_selector("#upload-done", state="visible", timeout=30_000)
    assert page.locator("#resume-note, #cancel-upload").count() == 0
    assert "Resume" not in page.inner_text("#upload")

    stale.click("#cancel-upload")
    stale.wait_for_selector("#messages .flash")
    body = stale.text_content("body")
    assert "{" not in body and "Changed by someone else" not in body
    assert "already finished" in stale.text_content("#messages")
    db.session.expire_all()
    assert db.session.query(Submission).one().status in ("processing", "ready")     # nothing lost
    context.close()


def test_stream_down_is_said_at_once_and_the_page_keeps_trying(page, live_portal, stream_emulator,
                                                               assignment_for, make_video):
    assignment, student = assignment_for
    _open(page, live_portal, assignment, student)
    stream_emulator.server.stop()
    try:
        page.set_input_files("#file", str(make_video(3)))
        # Within a few tries (0 s, 1 s, 3 s apart), not after the two minutes of the whole list.
        wait_js(page, "document.getElementById('upload-notice').textContent.includes('not answering')",
                timeout=12)
        assert "keeps trying by itself" in page.text_content("#upload-notice")
        assert page.is_hidden("#preflight")             # not an error the student must act on
    finally:
        stream_emulator.server.start()
    page.wait_for_selector("#upload-done", state="visible", timeout=60_000)   # nobody pressed anything
    assert page.is_hidden("#upload-notice")


def test_chunk_size_follows_the_measured_speed(page, live_portal, assignment_for):
    assignment, student = assignment_for
    _open(page, live_portal, assignment, student)
    chunk = lambda rate, largest: page.evaluate(f"StreamUpload.chunkFor({rate}, {largest})")  # noqa: E731
    at_1_mbit = chunk(1_000_000 / 8, 50 * MiB)
    assert at_1_mbit == 5 * MiB                 # Stream's smallest: 42 s of transfer lost at worst
    assert chunk(4_000_000 / 8, 50 * MiB) == 14 * MiB + 256 * 1024 * 1   # 30 s at 4 Mbit/s, on 256 KiB
    assert chunk(500 * MiB, 50 * MiB) == 50 * MiB                       # fast: the largest allowed
    for rate in (1, 10_000, 333_333, 2_345_678, 9_999_999):
        size = chunk(rate, 200 * MiB)
        assert size >= 5 * MiB and size % (256 * 1024) == 0 and size <= 200 * MiB


def test_words_a_person_uses(browser, live_portal, assignment_for):
    assignment, student = assignment_for
    desktop = browser.new_context(viewport={"width": 1280, "height": 800})
    page = desktop.new_page()
    _open(page, live_portal, assignment, student)
    assert "MP4, MOV, WebM, MKV" in page.text_content(".rules")
    assert "video/" not in page.text_content(".rules")
    assert "drop it here" in page.inner_text("#dropzone")
    left = lambda s: page.evaluate(f"StreamUpload.remaining({s})")  # noqa: E731
    assert left(41) == "about 40 seconds left"
    assert left(190) == "about 3 minutes left"
    assert left(4) == "a few seconds left"
    assert left(3 * 3600 + 600) == "about 3 hours 10 minutes left"
    desktop.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = phone.new_page()
    _open(page, live_portal, assignment, student)
    text = page.inner_text("#dropzone")
    assert "Choose a video" in text and "drop" not in text.lower()
    assert_no_horizontal_overflow(page)
    phone.close()


def test_a_second_tab_does_not_send_the_same_upload(browser, live_portal, assignment_for, big_video, db):
    assignment, student = assignment_for
    context = browser.new_context()
    first = context.new_page()
    _open(first, live_portal, assignment, student)
    statuses, second_patches = [], []
    first.on("response", lambda r: r.request.method == "PATCH" and statuses.append(r.status))
    held, patches = [], []

    def hold_after_first_chunk(route):         # the first tab is mid-upload as long as the test needs
        if route.request.method == "PATCH":
            patches.append(route)
            if len(patches) > 1 and not held_released:
                held.append(route)
                return
        route.continue_()
    held_released = False
    first.route("**/tus/**", hold_after_first_chunk)
    first.set_input_files("#file", str(big_video))
    wait_js(first, "document.getElementById('bar').value > 0")
    second = context.new_page()                 # the same student opens the page again meanwhile
    second.on("request", lambda r: r.method == "PATCH" and second_patches.append(r.url))
    second.goto(f"{live_portal.url}/a/{assignment.cmid}")
    second.set_input_files("#file", str(big_video))
    wait_js(second, "document.getElementById('preflight').textContent.includes('another tab')")
    held_released = True
    for route in held:
        route.continue_()
    first.wait_for_selector("#upload-done", state="visible", timeout=30_000)
    first.unroute_all(behavior="ignoreErrors")
    assert second_patches == [] and 423 not in statuses
    # Ready: the pages stop polling, so no request of theirs meets the next test's clean-up.
    first.wait_for_selector("#attempts .submission[data-status='ready']", timeout=30_000)
    second.close()
    context.close()
