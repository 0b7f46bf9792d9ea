"""Sign-in faults over HTTP: OAuth errors, Moodle down, roles that change in Moodle."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import requests

from portal.models import AuditEntry, Enrolment, User


def start(live_portal, moodle_emulator, username="student1"):
    """Run the dance up to the callback URL (not followed); returns (session, callback url)."""
    s = requests.Session()
    r = s.get(f"{live_portal.url}/auth/login?next=/a/101", allow_redirects=False)
    authorize = r.headers["Location"]
    r = s.get(authorize, allow_redirects=False)                       # -> Moodle login
    s.post(f"{moodle_emulator.base_url}/login/index.php", data={"username": username, "password": "demo"},
           allow_redirects=False)
    r = s.get(authorize, allow_redirects=False)                       # consent page
    if r.status_code == 200 and "Allow" in r.text:
        sesskey = re.search(r'name="sesskey" value="([^"]+)"', r.text).group(1)
        r = s.post(authorize, data={"sesskey": sesskey, "authorized": "yes"}, allow_redirects=False)
    return s, r.headers["Location"]


def test_full_dance_signs_in_and_keeps_the_target(live_portal, moodle_emulator, db):
    s, callback = start(live_portal, moodle_emulator)
    r = s.get(callback, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/a/101"
    assert db.session.query(User).filter_by(username="student1").count() == 1


def test_reused_code_is_refused(live_portal, moodle_emulator, db):
    s, callback = start(live_portal, moodle_emulator)
    assert s.get(callback, allow_redirects=False).status_code == 302
    again = requests.Session()
    again.cookies.update(s.cookies)
    r = again.get(callback, allow_redirects=False)
    assert r.status_code == 400 and "sign in again" in r.text


def test_state_mismatch_is_refused_and_nothing_created(live_portal, moodle_emulator, db):
    s, callback = start(live_portal, moodle_emulator)
    parsed = urlparse(callback)
    code = parse_qs(parsed.query)["code"][0]
    r = s.get(f"{live_portal.url}/auth/callback?code={code}&state=forged", allow_redirects=False)
    assert r.status_code == 400
    assert db.session.query(User).count() == 0


def test_moodle_down_at_sign_in_is_a_clear_page_and_nothing_half_created(live_portal, moodle_emulator, db):
    s, callback = start(live_portal, moodle_emulator)
    moodle_emulator.fail_next(20, 503)                 # web services down after the OAuth exchange
    r = s.get(callback, allow_redirects=False)
    assert r.status_code == 503 and "Moodle is not answering" in r.text
    assert db.session.query(User).count() == 0 and db.session.query(Enrolment).count() == 0


def test_access_denied_at_the_provider(live_portal, db):
    s = requests.Session()
    s.get(f"{live_portal.url}/auth/login", allow_redirects=False)
    r = s.get(f"{live_portal.url}/auth/callback?error=access_denied&state=x")
    assert r.status_code == 400 and "Allow" in r.text


def test_role_removed_in_moodle_is_removed_from_the_portal(live_portal, moodle_emulator, db, make):
    s, callback = start(live_portal, moodle_emulator, "teacher1")
    s.get(callback)
    assert s.get(f"{live_portal.url}/grading/").status_code == 200
    site = moodle_emulator.app.site
    for key in [k for k in site.enrolments if k[0] == moodle_emulator.user("teacher1").id]:
        site.enrolments[key] = ["student"]                  # demoted in Moodle
    with live_portal.app.app_context():        # the CLI uses the current app (the live one)
        result = live_portal.app.test_cli_runner().invoke(args=["roster", "sync"])
    assert result.exit_code == 0, result.output
    assert s.get(f"{live_portal.url}/grading/").status_code == 403
    user = db.session.query(User).filter_by(username="teacher1").one()
    assert {e.role for e in db.session.query(Enrolment).filter_by(user_id=user.id)} == {"student"}
    change = db.session.query(AuditEntry).filter_by(action="roles.change").one()
    assert "GEO101:editingteacher" in change.details["removed"] and "GEO101:student" in change.details["added"]


def test_student_who_left_in_moodle_no_longer_counts_as_enrolled(live_portal, moodle_emulator, db, make):
    """Reports count enrolled students who submitted from Submission.student_enrolled: the roster
    sync must keep it true to the enrolments, both ways."""
    from portal.models import Assignment, Submission
    s, callback = start(live_portal, moodle_emulator, "student1")
    s.get(callback)
    student = db.session.query(User).filter_by(username="student1").one()
    assignment = db.session.query(Assignment).filter_by(cmid=101).one()
    video = make.submission(assignment, student)
    db.session.commit()

    def sync_and_read() -> bool:
        with live_portal.app.app_context():
            result = live_portal.app.test_cli_runner().invoke(args=["roster", "sync"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        return db.session.get(Submission, video.id).student_enrolled

    site = moodle_emulator.app.site
    [course] = [a.course for a in site.assignments.values() if a.cmid == 101]
    key = (moodle_emulator.user("student1").id, course)
    roles = site.enrolments.pop(key)                      # unenrolled in Moodle
    assert sync_and_read() is False
    site.enrolments[key] = roles                           # and enrolled again
    assert sync_and_read() is True


def test_moodle_discovery_down_at_login_is_the_not_answering_page(client):
    """The `app` portal's Moodle is unreachable: the OpenID discovery at /auth/login fails."""
    r = client.get("/auth/login?next=/a/101")
    assert r.status_code == 503 and "Moodle is not answering" in r.text
