"""Who grades is decided from Moodle's capabilities and IOMAD's company roles, never from role
names (REAL-SITE.md, "Roles and IOMAD"): IOMAD enrols every company manager in the company's
courses as "Client Course Editor" (archetype editingteacher), which is not a teaching assignment."""
from __future__ import annotations

from portal.models import Enrolment, User
from tests.integration.test_signin_faults import start


def sign_in(live_portal, moodle_emulator, username):
    s, callback = start(live_portal, moodle_emulator, username)
    assert s.get(callback, allow_redirects=False).status_code == 302
    return s


def roles(db, username):
    db.session.expire_all()
    user = db.session.query(User).filter_by(username=username).one()
    return {(e.course.shortname, e.role) for e in db.session.query(Enrolment).filter_by(user_id=user.id)}


def test_company_manager_enrolled_by_iomad_gets_reports_not_a_grading_queue(live_portal, moodle_emulator, db):
    site = moodle_emulator.app.site
    manager = moodle_emulator.user("manager1").id
    assert site.roles(manager, 2) == ["companycourseeditor"] and site.is_grader(manager, 2)   # as IOMAD does
    s = sign_in(live_portal, moodle_emulator, "manager1")
    assert roles(db, "manager1") == set()
    assert s.get(f"{live_portal.url}/grading/").status_code == 403
    assert s.get(f"{live_portal.url}/reports/").status_code == 200


def test_graders_come_from_the_capability_whatever_the_role_is_called(live_portal, moodle_emulator, db):
    site = moodle_emulator.app.site
    site.role_caps["tutor"] = set(site.role_caps["teacher"])          # a site's own role name
    site.enrolments[(moodle_emulator.user("student2").id, 2)] = ["tutor"]
    sign_in(live_portal, moodle_emulator, "student2")
    assert ("GEO101", "teacher") in roles(db, "student2")
    site.role_caps["editingteacher"].discard("mod/assign:grade")       # removed by the site's admin
    sign_in(live_portal, moodle_emulator, "teacher1")
    assert roles(db, "teacher1") == set()
