"""Moodle refusing the portal's service account (REAL-SITE.md, "Roles and IOMAD"): a capability the
service role lacks or a wrong token is a configuration error to report, never a reason to forget
who manages which company; the fallback to IOMAD's functions is only for a site without the plugin."""
from __future__ import annotations

import logging

import pytest

from portal.models import AuditEntry, CompanyMember, User
from portal.services import alerts
from portal.services.moodle import MoodleAccessDenied, MoodleInvalidToken
from tests.integration.test_signin_faults import start

READ_CONTEXT = "assignsubmission/streamportal:readusercontext"


def roster_sync(live_portal, *args):
    with live_portal.app.app_context():
        return live_portal.app.test_cli_runner().invoke(args=["roster", "sync", *args])


def memberships(db, username):
    db.session.expire_all()
    user = db.session.query(User).filter_by(username=username).one()
    return {(m.company.name, m.role) for m in db.session.query(CompanyMember).filter_by(user_id=user.id)}


# --- the emulator says what the real site said -------------------------------------------------

def test_without_readusercontext_moodle_answers_nopermissions(moodle_emulator):
    moodle_emulator.app.site.role_caps["streamportal"].discard(READ_CONTEXT)
    with pytest.raises(MoodleAccessDenied) as err:
        moodle_emulator.client().user_context(moodle_emulator.user("manager1").id)
    assert err.value.errorcode == "nopermissions" and err.value.exception == "required_capability_exception"


def test_iomad_4_get_user_companies_fails_for_company_members(moodle_emulator):
    client = moodle_emulator.client()
    with pytest.raises(Exception) as err:
        client.user_companies(moodle_emulator.user("manager1").id)
    assert getattr(err.value, "errorcode", "") == "invalidrecord"
    assert client.user_companies(moodle_emulator.user("admin").id) == []      # in no company
    moodle_emulator.app.site.iomad_user_companies_broken = False             # IOMAD 5.x
    assert [c["name"] for c in client.user_companies(moodle_emulator.user("manager1").id)] == ["Acme Field Studies"]


def test_withcapability_works_for_any_capability_and_follows_the_roles(moodle_emulator):
    client = moodle_emulator.client()
    site = moodle_emulator.app.site
    course = moodle_emulator.assignment(101).course
    editors = {u["username"] for u in client.enrolled_users(course, withcapability="moodle/course:update",
                                                              userfields="id,username")}
    assert editors == {"teacher1", "teacher2", "manager1"}        # managers: Client Course Editor
    site.role_caps["companycourseeditor"].discard("mod/assign:grade")
    graders = {u["username"] for u in client.enrolled_users(course, withcapability="mod/assign:grade",
                                                              userfields="id,username")}
    assert graders == {"teacher1", "teacher2"}


def test_suspended_enrolments_are_listed_unless_only_active_ones_are_asked(moodle_emulator):
    client = moodle_emulator.client()
    site = moodle_emulator.app.site
    course = moodle_emulator.assignment(101).course
    student = moodle_emulator.user("student1").id
    site.suspended_enrolments.add((student, course))
    listed = {u["id"] for u in client.enrolled_users(course, withcapability="mod/assign:submit")}
    assert student in listed
    options = [{"name": "withcapability", "value": "mod/assign:submit"}, {"name": "onlyactive", "value": "1"}]
    active = {u["id"] for u in client.call("core_enrol_get_enrolled_users", courseid=course, options=options)}
    assert student not in active and active
    assert course not in {c["id"] for c in client.users_courses(student)}


def test_wrong_token_is_invalidtoken(moodle_emulator):
    with pytest.raises(MoodleInvalidToken):
        moodle_emulator.client("0" * 32).site_info()


# --- the portal -------------------------------------------------------------------------------

def test_missing_capability_keeps_the_managers_company_and_alerts_the_admin(live_portal, moodle_emulator, db,
                                                                            caplog):
    s, callback = start(live_portal, moodle_emulator, "manager1")
    s.get(callback)
    assert memberships(db, "manager1") == {("Acme Field Studies", "manager")}

    moodle_emulator.app.site.role_caps["streamportal"].discard(READ_CONTEXT)
    with caplog.at_level(logging.ERROR):
        result = roster_sync(live_portal, "--user", "manager1")
    assert result.exit_code == 0, result.output
    assert memberships(db, "manager1") == {("Acme Field Studies", "manager")}     # not emptied
    assert any(r.levelno == logging.ERROR and READ_CONTEXT in r.getMessage() for r in caplog.records)
    with live_portal.app.app_context():
        [alert] = [a for a in alerts.collect() if a.kind == "moodle_refused"]
    assert alert.count >= 1 and READ_CONTEXT in alert.hint


def test_a_manager_signs_in_while_the_capability_is_missing(live_portal, moodle_emulator, db):
    """Sign-in still works (courses come from core functions); the company is kept from before."""
    s, callback = start(live_portal, moodle_emulator, "manager1")
    s.get(callback)
    moodle_emulator.app.site.role_caps["streamportal"].discard(READ_CONTEXT)
    s, callback = start(live_portal, moodle_emulator, "manager1")
    r = s.get(callback, allow_redirects=False)
    assert r.status_code == 302
    assert memberships(db, "manager1") == {("Acme Field Studies", "manager")}
    assert db.session.query(AuditEntry).filter_by(action="moodle.refused").count() >= 1


def test_fallback_to_iomad_only_when_the_plugin_is_absent(live_portal, moodle_emulator, db):
    site = moodle_emulator.app.site
    site.uninstalled.add("assignsubmission_streamportal")
    site.iomad_user_companies_broken = False                       # IOMAD 5.x: the fallback answers
    s, callback = start(live_portal, moodle_emulator, "teacher1")
    assert s.get(callback, allow_redirects=False).status_code == 302
    assert memberships(db, "teacher1") == {("Acme Field Studies", "member")}

    site.iomad_user_companies_broken = True                         # IOMAD 4.x: it fails
    result = roster_sync(live_portal, "--user", "teacher1")
    assert result.exit_code == 0, result.output
    assert memberships(db, "teacher1") == {("Acme Field Studies", "member")}     # kept, not emptied


def test_wrong_service_token_is_a_configuration_error_not_moodle_down(live_portal, moodle_emulator, db, caplog):
    s, callback = start(live_portal, moodle_emulator, "student1")
    moodle_emulator.app.site.tokens.clear()             # the token the portal has is not Moodle's
    with caplog.at_level(logging.ERROR):
        r = s.get(callback, allow_redirects=False)
    assert r.status_code == 503
    assert "not answering" not in r.text and "try again in a few minutes" not in r.text
    assert "site administrator" in r.text
    assert any(r.levelno == logging.ERROR and "MOODLE_SERVICE_TOKEN" in r.getMessage() for r in caplog.records)
    assert db.session.query(User).count() == 0
    with live_portal.app.app_context():
        [alert] = [a for a in alerts.collect() if a.kind == "moodle_refused"]
    assert alert.count == 1 and "MOODLE_SERVICE_TOKEN" in alert.hint


def test_suspended_enrolments_do_not_count_in_the_portal(live_portal, moodle_emulator, db):
    site = moodle_emulator.app.site
    student = moodle_emulator.user("student4").id
    for course in (2, 3):
        site.suspended_enrolments.add((student, course))
    result = roster_sync(live_portal, "--site")
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="student4").count() == 0
    assert db.session.query(User).filter_by(username="student3").count() == 1


def test_the_admin_reads_which_call_was_refused_and_the_fix(live_portal, moodle_emulator, db, make):
    import requests

    s, callback = start(live_portal, moodle_emulator, "manager1")
    moodle_emulator.app.site.role_caps["streamportal"].discard(READ_CONTEXT)
    s.get(callback)
    admin = make.user(username="admin", is_site_admin=True)
    admin.moodle_id = 2
    db.session.commit()
    a = requests.Session()
    live_portal.login(a, admin)
    page = a.get(f"{live_portal.url}/admin/alerts/moodle_refused").text
    assert "assignsubmission_streamportal_get_user_context" in page and "nopermissions" in page
    assert f"capability {READ_CONTEXT} at system level" in page
