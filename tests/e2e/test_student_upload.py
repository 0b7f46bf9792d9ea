"""The student's page in a real browser: pre-flight, tus straight to Stream, progress, pause and
resume, resume after the browser is closed, and the video ready to watch."""
from __future__ import annotations

import re


from tests.support.browser import wait_js
from portal.models import Submission


def test_upload_from_the_page_becomes_ready(page, live_portal, assignment_for, make_video, db):
    assignment, student = assignment_for
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    assert page.get_by_role("heading", name="Field walk").is_visible()
    page.set_input_files("#file", str(make_video(3)))
    page.wait_for_selector("#upload-done", state="visible")
    page.wait_for_selector(".submission[data-status='ready']", timeout=20_000)
    assert page.locator(".submission[data-status='ready']").get_by_text("Watch").is_visible()
    assert db.session.query(Submission).count() == 1


def test_preflight_refusals_send_nothing(page, live_portal, assignment_for, tmp_path, make_video, db):
    assignment, student = assignment_for
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    page.set_input_files("#file", str(text))
    wait_js(page, "document.getElementById('preflight').textContent.includes('not an accepted video type')")
    page.set_input_files("#file", str(make_video(70)))        # over the 1-minute limit
    wait_js(page, "document.getElementById('preflight').textContent.includes('minutes long')")
    assert db.session.query(Submission).count() == 0


def test_pause_resume_and_resume_after_closing_the_browser(browser, live_portal, assignment_for, big_video, db):
    assignment, student = assignment_for
    context = browser.new_context()
    page = context.new_page()
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    # Slow the PATCHes down so there is time to pause mid-upload.
    page.route("**/tus/**", lambda route: (page.wait_for_timeout(400), route.continue_()))
    page.set_input_files("#file", str(big_video))
    wait_js(page, "document.getElementById('bar').value > 0")
    page.click("#pause")
    wait_js(page, "document.getElementById('progress-text').textContent.includes('paused')")
    page.unroute_all(behavior="ignoreErrors")
    context.close()                                  # the browser is gone mid-upload

    sub = db.session.query(Submission).one()
    assert sub.status == "uploading" and sub.upload_url
    context = browser.new_context()
    page = context.new_page()
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    wait_js(page, "document.getElementById('resume-offset').dataset.offset !== undefined")
    offset = int(page.locator("#resume-offset").get_attribute("data-offset"))
    assert offset > 0 and re.search(r"\d+%", page.locator("#resume-offset").text_content())
    page.set_input_files("#file", str(big_video))
    page.wait_for_selector("#upload-done", state="visible", timeout=30_000)
    page.wait_for_selector(".submission[data-status='ready']", timeout=30_000)
    db.session.expire_all()
    assert db.session.query(Submission).count() == 1       # resumed, not a second upload
    context.close()


def test_a_different_file_is_recognised_as_different(page, live_portal, assignment_for, big_video, make_video, db):
    assignment, student = assignment_for
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    page.route("**/tus/**", lambda route: route.abort())      # the network is cut: nothing reaches Stream
    page.set_input_files("#file", str(big_video))
    wait_js(page, "document.getElementById('progress').hidden === false")
    for _ in range(100):                 # the creation request has reached the portal
        db.session.expire_all()
        if db.session.query(Submission).filter(Submission.upload_url.is_not(None)).count():
            break
        page.wait_for_timeout(50)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    page.set_input_files("#file", str(make_video(3)))
    wait_js(page, "document.getElementById('preflight').textContent.includes('not the file of the unfinished upload')")
    page.unroute_all(behavior="ignoreErrors")


def test_network_cut_mid_upload_retries_and_finishes(page, live_portal, assignment_for, big_video, db):
    assignment, student = assignment_for
    live_portal.login(page, student)
    page.goto(f"{live_portal.url}/a/{assignment.cmid}")
    cut = {"patches": 0}

    def flaky(route):
        if route.request.method == "PATCH":
            cut["patches"] += 1
            if cut["patches"] in (2, 3):            # the second and third chunk hit a dead network
                return route.abort("internetdisconnected")
        return route.continue_()
    page.route("**/tus/**", flaky)
    page.set_input_files("#file", str(big_video))
    page.wait_for_selector("#upload-done", state="visible", timeout=30_000)
    page.unroute_all(behavior="ignoreErrors")
    assert cut["patches"] >= 4
    db.session.expire_all()
    sub = db.session.query(Submission).one()
    assert sub.upload_length == big_video.stat().st_size
