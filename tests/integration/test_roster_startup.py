"""A company's report is not empty until someone signs in: the worker links companies, courses and
people when it starts against a site it has never synced, an admin can sync on demand, and the
pages say when the roster was last synced (issue 16.9)."""
from __future__ import annotations

import re
import threading

import pytest
import requests

from portal.models import AuditEntry, Company, Course, Enrolment, User


def cli(live_portal, *args):
    with live_portal.app.app_context():
        result = live_portal.app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_worker_start_syncs_a_site_it_never_synced_and_only_then(live_portal, moodle_emulator, db):
    assert db.session.query(User).count() == 0
    cli(live_portal, "worker", "--until-idle")
    acme = db.session.query(Company).filter_by(name="Acme Field Studies").one()
    assert {c.shortname for c in db.session.query(Course).filter_by(company_id=acme.id)} >= {"GEO101", "ECO102"}
    students = db.session.query(Enrolment).filter_by(role="student").count()
    assert students == 16                          # 4 students × 2 courses × 2 companies, nobody signed in
    assert db.session.query(AuditEntry).filter_by(action="roster.site_sync").count() == 1
    cli(live_portal, "worker", "--until-idle")     # synced before: the start does not sync again
    assert db.session.query(AuditEntry).filter_by(action="roster.site_sync").count() == 1


def admin_session(live_portal, make, db):
    admin = make.user(username="admin", is_site_admin=True)
    admin.moodle_id = 2                            # the emulator's admin
    db.session.commit()
    s = requests.Session()
    live_portal.login(s, admin)
    return s


def test_admin_page_says_never_then_syncs_on_demand_and_says_when(live_portal, moodle_emulator, db, make):
    s = admin_session(live_portal, make, db)
    page = s.get(f"{live_portal.url}/admin/").text
    assert "never synced" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{live_portal.url}/admin/roster/sync", data={"csrf_token": csrf})
    assert r.status_code == 200 and "Roster synced" in r.text
    assert db.session.query(Company).filter_by(name="Beta Surveys").count() == 1
    assert "Last synced" in s.get(f"{live_portal.url}/admin/").text
    assert "Last synced" in s.get(f"{live_portal.url}/reports/").text


def test_on_demand_sync_needs_the_csrf_token_and_an_admin(live_portal, moodle_emulator, db, make):
    s = admin_session(live_portal, make, db)
    assert s.post(f"{live_portal.url}/admin/roster/sync").status_code == 400
    assert db.session.query(AuditEntry).filter_by(action="roster.site_sync").count() == 0


def test_moodle_down_during_an_on_demand_sync_says_so(live_portal, moodle_emulator, db, make):
    s = admin_session(live_portal, make, db)
    page = s.get(f"{live_portal.url}/admin/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    moodle_emulator.fail_next(50, 503)
    r = s.post(f"{live_portal.url}/admin/roster/sync", data={"csrf_token": csrf})
    assert r.status_code == 200 and "Moodle is not answering" in r.text
    assert db.session.query(AuditEntry).filter_by(action="roster.site_sync").count() == 0


def test_two_site_syncs_at_once_do_not_collide(live_portal, moodle_emulator, db, request):
    """The worker's first sync and the demo seed (or an admin's "Sync roster now") can run together."""
    if request.config.getoption("--db") != "postgres":
        pytest.skip("SQLite runs one writer at a time")
    from portal.services.roster import Roster, moodle_client

    barrier, errors = threading.Barrier(2), []

    def sync():
        with live_portal.app.app_context():
            from portal.extensions import db as _db
            roster = Roster(moodle_client())
            barrier.wait()
            try:
                roster.sync_site()
                _db.session.commit()
            except Exception as exc:     # an IntegrityError here is the bug
                errors.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.query(Company).count() == 2


def test_a_refused_site_sync_is_an_alert_and_known_users_still_sync(live_portal, moodle_emulator, db, make):
    from portal.services import alerts
    from portal.services.roster import Roster, moodle_client

    s = admin_session(live_portal, make, db)
    moodle_emulator.app.site.role_caps["streamportal"].discard("block/iomad_company_admin:company_add")
    page = s.get(f"{live_portal.url}/admin/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{live_portal.url}/admin/roster/sync", data={"csrf_token": csrf})
    assert "Moodle refused the sync" in r.text and "block/iomad_company_admin:company_add" in r.text
    with live_portal.app.app_context():
        from portal.extensions import db as _db
        assert Roster(moodle_client()).sync_all() == 1          # the admin, synced on their own
        _db.session.commit()
        [alert] = [a for a in alerts.collect() if a.kind == "moodle_refused"]
    assert alert.count >= 1 and "company_add" in alert.hint


def test_a_wrong_token_at_worker_start_is_an_alert_naming_the_setting(live_portal, moodle_emulator, db):
    from portal.services import alerts

    moodle_emulator.app.site.tokens.clear()
    cli(live_portal, "worker", "--until-idle")
    with live_portal.app.app_context():
        [alert] = [a for a in alerts.collect() if a.kind == "moodle_refused"]
    assert alert.count == 1 and "MOODLE_SERVICE_TOKEN" in alert.hint
    assert db.session.query(AuditEntry).filter_by(action="roster.site_sync").count() == 0
