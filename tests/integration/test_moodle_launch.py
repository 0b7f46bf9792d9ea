"""Sign-in from Moodle with the link the companion plugin signs for the Moodle user signed in there
("Open in Stream Portal"): the way in for Moodle 4.1–4.4, where local_oauth2 does not install."""
from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import urlencode

import pytest
import requests

from portal.models import AuditEntry, CompanyMember, Enrolment, LaunchNonce, User
from portal.services import launch as launches
from tests.fixtures.moodle import EMBED_SECRET


def launch_link(moodle_emulator, username, cmid=101) -> str:
    """Log in to Moodle and read the link the assignment page shows (what the plugin renders)."""
    m = requests.Session()
    m.post(f"{moodle_emulator.base_url}/login/index.php", data={"username": username, "password": "demo"})
    page = m.get(f"{moodle_emulator.base_url}/mod/assign/view.php?id={cmid}").text
    return unescape(re.search(r'id="streamportal-launch"\s+href="([^"]+)"', page).group(1))


def signed(user, cmid=101, expires=None, nonce="ab" * 16, secret=EMBED_SECRET) -> dict:
    expires = expires or int(time.time()) + 600
    return {"user": user, "cmid": cmid, "expires": expires, "nonce": nonce,
            "sig": launches.signature(secret, user, cmid, expires, nonce)}


def test_the_link_on_the_moodle_page_signs_the_student_in_once(live_portal, moodle_emulator, db):
    link = launch_link(moodle_emulator, "student1")
    assert link.startswith(f"{live_portal.url}/auth/moodle?")
    s = requests.Session()
    r = s.get(link, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/a/101"
    assert "River walk video" in s.get(f"{live_portal.url}/a/101").text
    user = db.session.query(User).filter_by(username="student1").one()
    assert user.moodle_id == moodle_emulator.user("student1").id
    roles = {(e.course.shortname, e.role) for e in db.session.query(Enrolment).filter_by(user_id=user.id)}
    assert roles == {("GEO101", "student"), ("ECO102", "student")}          # as at OAuth sign-in
    assert db.session.query(AuditEntry).filter_by(action="signin").one().details["via"] == "moodle link"

    again = requests.Session().get(link, allow_redirects=False)             # the same link, replayed
    assert again.status_code == 403 and "used already" in again.text
    assert db.session.query(LaunchNonce).count() == 1


def test_a_manager_gets_their_company_through_the_link(live_portal, moodle_emulator, db):
    r = requests.Session().get(launch_link(moodle_emulator, "manager1"), allow_redirects=False)
    assert r.status_code == 302
    manager = db.session.query(User).filter_by(username="manager1").one()
    assert [(m.company.name, m.role) for m in db.session.query(CompanyMember).filter_by(user_id=manager.id)] == \
        [("Acme Field Studies", "manager")]


@pytest.mark.parametrize("change,status,words", [
    (lambda q: q | {"sig": "0" * 64}, 403, "not valid"),
    (lambda q: q | {"user": "14"}, 403, "not valid"),                        # another user, same signature
    (lambda q: q | {"cmid": "102"}, 403, "not valid"),
    (lambda q: {k: v for k, v in q.items() if k != "nonce"}, 400, "incomplete"),
    (lambda q: q | {"expires": "soon"}, 400, "damaged"),
    (lambda q: signed(13, expires=int(time.time()) - 1), 403, "expired"),
    (lambda q: signed(13, expires=int(time.time()) + 86400), 403, "too long"),
    (lambda q: signed(13, secret="not-the-secret"), 403, "not valid"),
])
def test_bad_links_are_refused_in_words_and_sign_nobody_in(live_portal, moodle_emulator, db, change, status, words):
    query = change(signed(13))
    r = requests.get(f"{live_portal.url}/auth/moodle?{urlencode(query)}", allow_redirects=False)
    assert r.status_code == status and words in r.text
    assert db.session.query(User).count() == 0 and db.session.query(LaunchNonce).count() == 0


def test_moodle_down_during_the_launch_leaves_the_link_usable(live_portal, moodle_emulator, db):
    link = launch_link(moodle_emulator, "student1")
    moodle_emulator.fail_next(20, 503)
    r = requests.get(link, allow_redirects=False)
    assert r.status_code == 503 and "Moodle is not answering" in r.text
    assert db.session.query(User).count() == 0 and db.session.query(LaunchNonce).count() == 0
    moodle_emulator.fail_next(0)
    assert requests.get(link, allow_redirects=False).status_code == 302


def test_without_the_shared_secret_the_link_is_refused(app, client):
    query = signed(13)
    settings = app.config["SETTINGS"]
    assert not settings.embed_secret
    r = client.get(f"/auth/moodle?{urlencode(query)}")
    assert r.status_code == 503 and "not set up" in r.text


def test_the_signature_compare_and_the_nonce_check_are_the_services(app, db):
    """verify() is what a later framed launch reuses: a nonce is spent once, whoever presents it."""
    with app.test_request_context():
        query = {k: str(v) for k, v in signed(13).items()}
        launch = launches.verify(EMBED_SECRET, query)
        assert (launch.moodle_user_id, launch.cmid) == (13, 101)
        with pytest.raises(launches.LaunchRefused) as err:
            launches.verify(EMBED_SECRET, query)
        assert err.value.status == 403


def test_a_manager_from_the_assignment_page_lands_on_its_report(live_portal, moodle_emulator, db):
    s = requests.Session()
    r = s.get(launch_link(moodle_emulator, "manager1"))
    assert r.status_code == 200 and "/reports/companies/" in r.url and "/assignments/" in r.url
    assert "River walk video" in r.text
