"""Signing in through Moodle (local_oauth2) in a real browser, starting where a student starts."""
from portal.models import CompanyMember, Enrolment, User


def moodle_login(page, username):
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("#loginbtn")


def test_student_from_the_moodle_assignment_lands_on_the_portal_assignment(page, live_portal, moodle_emulator, db):
    page.goto(f"{moodle_emulator.base_url}/mod/assign/view.php?id=101")
    moodle_login(page, "student1")                                  # Moodle's own login first
    page.get_by_role("link", name="Stream Portal", exact=True).click()   # the link in the assignment intro
    assert "/signin" in page.url
    page.get_by_role("link", name="Sign in with Moodle").click()
    page.get_by_role("button", name="Allow").click()                # first use: consent
    page.wait_for_url(f"{live_portal.url}/a/101")
    assert page.get_by_role("heading", name="River walk video").is_visible()
    user = db.session.query(User).filter_by(username="student1").one()
    roles = {(e.course.shortname, e.role) for e in db.session.query(Enrolment).filter_by(user_id=user.id)}
    assert roles == {("GEO101", "student"), ("ECO102", "student")}


def test_cancelled_consent_is_explained(page, live_portal, moodle_emulator, db):
    page.goto(f"{live_portal.url}/signin")
    page.get_by_role("link", name="Sign in with Moodle").click()
    moodle_login(page, "student2")
    page.get_by_role("button", name="Cancel").click()
    assert "chose not to let the portal use your Moodle account" in page.content()
    assert db.session.query(User).count() == 0


def test_manager_sees_only_their_company(page, live_portal, moodle_emulator, db):
    page.goto(f"{live_portal.url}/signin?next=/reports/")
    page.get_by_role("link", name="Sign in with Moodle").click()
    moodle_login(page, "manager1")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{live_portal.url}/reports/**")
    body = page.content()
    assert "Acme Field Studies" in body and "Beta Surveys" not in body
    manager = db.session.query(User).filter_by(username="manager1").one()
    assert [(m.company.name, m.role) for m in db.session.query(CompanyMember).filter_by(user_id=manager.id)] == \
        [("Acme Field Studies", "manager")]


def test_moodle_4_1_to_4_4_the_plugins_link_signs_the_student_in(page, live_portal, moodle_emulator, db):
    """No OAuth dance: the assignment page's "Upload your video…" button is the plugin's signed link
    for the Moodle user signed in there, and lands on the portal's assignment, signed in."""
    page.goto(f"{moodle_emulator.base_url}/mod/assign/view.php?id=101")
    moodle_login(page, "student1")
    with page.context.expect_page() as opened:                     # the plugin opens a new tab
        page.get_by_role("link", name="Upload your video in the Stream Portal").click()
    portal = opened.value
    portal.wait_for_url(f"{live_portal.url}/a/101")
    assert portal.get_by_role("heading", name="River walk video").is_visible()
    assert db.session.query(User).filter_by(username="student1").one().last_login_at is not None


def test_a_teacher_opens_the_portal_from_moodle_into_the_grading_queue(page, live_portal, moodle_emulator, db):
    page.goto(f"{moodle_emulator.base_url}/mod/assign/view.php?id=101")
    moodle_login(page, "teacher1")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open in Stream Portal").click()
    portal = opened.value
    portal.wait_for_url(f"{live_portal.url}/grading/**")
    assert portal.get_by_role("heading", name="Grading queue").is_visible()
