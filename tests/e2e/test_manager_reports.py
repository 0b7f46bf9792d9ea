"""A company manager in a real browser: drill from the company to a course, an assignment and its
students without a page load, come back with the browser's Back button, download the CSV.

Until tests/fixtures/portal.py (live_portal) lands, the portal is served here on a free loopback
port with a test-only sign-in route added to this app instance only.
"""
from __future__ import annotations

import csv
import io

import pytest
from flask import redirect
from flask_login import login_user
from playwright.sync_api import expect

from portal.extensions import db as _db
from portal.models import User
from tests.integration.reports_world import add_usage, build
from tests.support.portal import make_app
from tests.support.servers import ServerThread, free_port


@pytest.fixture
def served(database_url, app, db):
    port = free_port()
    portal = make_app(database_url, base_url=f"http://127.0.0.1:{port}")

    @portal.get("/_test/sign-in/<int:user_id>")
    def _test_sign_in(user_id: int):    # never part of the real app: added to this instance only
        login_user(_db.session.get(User, user_id))
        return redirect("/reports/")

    server = ServerThread(portal, port=port).start()
    yield server
    server.stop()


def test_manager_drills_down_and_downloads(page, served, make, db, tmp_path):
    w = build(make, db)
    add_usage(db, w)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/_test/sign-in/{w.manager_a.id}")

    page.get_by_role("link", name="Acme Fieldwork").click()
    page.wait_for_url(f"**/reports/companies/{w.acme.id}")
    expect(page.locator("svg.chart-svg")).to_have_count(2)     # loaded after the page, by htmx
    assert page.get_by_text("Beta Secret Co").count() == 0
    page.evaluate("window.__samePage = true")    # gone if anything reloads the page

    drill = page.locator("#drill")
    drill.get_by_role("link", name="Geology Fieldwork").click()
    page.wait_for_url(f"**/courses/{w.geo.id}")
    drill.get_by_role("link", name="Field video X").click()
    page.wait_for_url(f"**/assignments/{w.X.id}")
    rows = drill.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert "overdue" in rows.nth(1).inner_text() and "Student S2" in rows.nth(1).inner_text()
    assert "not submitted" in rows.nth(2).inner_text()
    assert page.evaluate("window.__samePage === true")      # htmx swapped #drill only

    with page.expect_download() as info:
        drill.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = tmp_path / "students.csv"
    download.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0][:4] == ["course", "assignment", "due", "student"]
    assert [r[3] for r in table[1:]] == ["Student S1", "Student S2", "Student S3"]

    page.go_back()                                           # history: the course's assignments
    page.wait_for_url(f"**/courses/{w.geo.id}")
    expect(drill.get_by_role("link", name="Field video Y")).to_be_visible()
    drill.get_by_role("link", name="All courses").click()
    page.wait_for_url(f"**/reports/companies/{w.acme.id}")
    expect(drill.get_by_role("link", name="Biology Fieldwork")).to_be_visible()
    assert errors == []
