"""The reports blueprint through the Flask test client: pages, htmx fragments, CSV, budget;
a manager of company A refused everything of company B, with nothing of B in the answer."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from portal.models import AuditEntry, Company
from portal.reports import views
from tests.integration.reports_world import add_usage, build

HX_DRILL = {"HX-Request": "true", "HX-Target": "drill"}
B_NAMES = ("Beta Secret Co", "Secret Course", "Secret assignment W", "Student SB", "Manager B")


@pytest.fixture
def w(make, db, monkeypatch):
    world = build(make, db)
    monkeypatch.setattr(views, "_now", lambda: world.now)
    return world


def sign_in(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    return client


def csrf_token(client, path) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def rows_of(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"), newline="")))


def assert_nothing_of_b(resp):
    body = resp.get_data(as_text=True)
    for name in B_NAMES:
        assert name not in body, f"{name!r} leaked into a {resp.status_code} answer"


# --- who may come in ------------------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in(client, w):
    resp = client.get("/reports/")
    assert resp.status_code == 302 and "/signin" in resp.headers["Location"]


@pytest.mark.parametrize("who", ["s1", "t1"])
def test_students_and_teachers_are_refused(client, w, who):
    sign_in(client, w.objs[who])
    for path in ("/reports/", f"/reports/companies/{w.acme.id}", f"/reports/companies/{w.acme.id}/courses.csv",
                 "/reports/forecast"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "Acme Fieldwork" not in resp.get_data(as_text=True)


def test_manager_index_lists_only_own_company(client, w):
    sign_in(client, w.manager_a)
    resp = client.get("/reports/")
    assert resp.status_code == 200
    assert "Acme Fieldwork" in resp.get_data(as_text=True)
    assert_nothing_of_b(resp)
    # and the nav offers the reports now that the blueprint exists
    assert 'href="/reports/"' in resp.get_data(as_text=True)


def test_site_admin_sees_every_company(client, w):
    sign_in(client, w.admin)
    body = client.get("/reports/").get_data(as_text=True)
    assert "Acme Fieldwork" in body and "Beta Secret Co" in body
    assert client.get(f"/reports/companies/{w.beta.id}").status_code == 200


# --- company A's manager against company B ---------------------------------------------------

def b_paths(w):
    a, b = w.acme.id, w.beta.id
    return [
        f"/reports/companies/{b}",
        f"/reports/companies/{b}/courses/{w.secret.id}",
        f"/reports/companies/{b}/charts",
        f"/reports/companies/{b}/assignments/{w.W.id}",
        f"/reports/companies/{a}/courses/{w.secret.id}",          # B's course through A
        f"/reports/companies/{a}/assignments/{w.W.id}",           # B's assignment through A
        f"/reports/companies/{b}/courses.csv",
        f"/reports/companies/{b}/review-status.csv",
        f"/reports/companies/{b}/turnaround.csv",
        f"/reports/companies/{b}/costs.csv",
        f"/reports/companies/{a}/students.csv?assignment={w.W.id}",
        f"/reports/companies/{a}/review-status.csv?course={w.secret.id}",
        f"/reports/companies/{a}/assignments.csv?course={w.secret.id}",
    ]


def test_manager_of_a_gets_404_for_b_pages_fragments_and_csv(client, db, w):
    add_usage(db, w)
    sign_in(client, w.manager_a)
    for path in b_paths(w):
        for headers in ({}, HX_DRILL):
            resp = client.get(path, headers=headers)
            assert resp.status_code == 404, path
            assert_nothing_of_b(resp)
    # no export was recorded for any of them
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).all() == []


def test_manager_of_a_cannot_set_b_budget(client, db, w):
    sign_in(client, w.manager_a)
    token = csrf_token(client, "/reports/")
    resp = client.post(f"/reports/companies/{w.beta.id}/budget", data={"budget": "1", "csrf_token": token})
    assert resp.status_code == 404
    assert_nothing_of_b(resp)
    db.session.expire_all()
    assert db.session.get(Company, w.beta.id).monthly_budget_cents is None


# --- the company page and the drill-down --------------------------------------------------------

def test_company_page(client, db, w):
    add_usage(db, w)
    sign_in(client, w.manager_a)
    resp = client.get(f"/reports/companies/{w.acme.id}")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Geology Fieldwork" in body and "Biology Fieldwork" in body and "Teacher One" in body
    assert "<script" not in body.split("</head>")[1]                                # no inline script
    # the charts come in their own request once the page shows
    charts_url = f"/reports/companies/{w.acme.id}/charts"
    assert f'hx-get="{charts_url}" hx-trigger="load"' in body
    charts = client.get(charts_url, headers={"HX-Request": "true", "HX-Target": "charts"})
    text = charts.get_data(as_text=True)
    assert charts.status_code == 200 and text.count("<svg") == 2 and "<html" not in text
    assert "Feb 2026" in text and "Mar 2026" in text
    assert_nothing_of_b(charts)
    assert client.get(charts_url).get_data(as_text=True).count("<svg") == 2     # also on its own
    # February: fullest day 400 min -> $2.00, 3,500 delivered -> $3.50
    assert re.search(r"2026-02</td><td class=\"num\">400</td>\s*<td class=\"num\">3,500</td>"
                     r"<td class=\"num\">\$2.00</td>\s*<td class=\"num\">\$3.50</td><td class=\"num\">\$5.50</td>", body)
    # this month so far: 4,400 stored ($22.00) + 1,400 delivered in 14 days -> 3,100 ($3.10)
    assert "Projected month-end cost: <strong>$25.10</strong>" in body
    assert "within budget" in body and 'role="alert"' not in body
    assert_nothing_of_b(resp)
    assert "Vary" in resp.headers and "HX-Target" in resp.headers["Vary"]


def test_drill_down_fragments_of_one_template(client, w):
    sign_in(client, w.manager_a)
    course = client.get(f"/reports/companies/{w.acme.id}/courses/{w.geo.id}", headers=HX_DRILL)
    body = course.get_data(as_text=True)
    assert course.status_code == 200 and "<html" not in body
    assert "Field video X" in body and "Field video Y" in body and "Field video Z" not in body
    assert f'hx-get="/reports/companies/{w.acme.id}/assignments/{w.X.id}"' in body

    students = client.get(f"/reports/companies/{w.acme.id}/assignments/{w.X.id}", headers=HX_DRILL)
    body = students.get_data(as_text=True)
    assert "<html" not in body and "Student S1" in body and "Student S3" in body and "not submitted" in body
    assert body.count(">overdue<") == 1                           # s2's second attempt
    assert f'hx-get="/reports/companies/{w.acme.id}/courses/{w.geo.id}"' in body   # back up one level

    # the same URL without htmx (a reload, a shared link, history restore) is the whole page
    for headers in ({}, {**HX_DRILL, "HX-History-Restore-Request": "true"}):
        page = client.get(f"/reports/companies/{w.acme.id}/assignments/{w.X.id}", headers=headers)
        text = page.get_data(as_text=True)
        assert "<html" in text and "Student S2" in text and "Turnaround by teacher" in text


def test_period_filter_and_bad_dates(client, w):
    sign_in(client, w.manager_a)
    path = f"/reports/companies/{w.acme.id}/courses/{w.geo.id}"
    body = client.get(path + "?start=2026-03-05", headers=HX_DRILL).get_data(as_text=True)
    # links keep the period as they go deeper
    assert f"/reports/companies/{w.acme.id}/assignments/{w.X.id}?start=2026-03-05" in body
    resp = client.get(path + "?start=soon")
    assert resp.status_code == 400 and "is not a date" in resp.get_data(as_text=True)


# --- CSV ----------------------------------------------------------------------------------------

def test_courses_csv_streamed_and_audited(client, db, w):
    sign_in(client, w.manager_a)
    resp = client.get(f"/reports/companies/{w.acme.id}/courses.csv?start=2026-01-01")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.is_streamed
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="')
    rows = rows_of(resp)
    assert rows[0][:4] == ["course", "assignments", "students", "submissions"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("Biology Fieldwork", "1"), ("Geology Fieldwork", "4")]
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).all()
    assert (entry.actor_id, entry.company_id, entry.details["table"]) == (w.manager_a.id, w.acme.id, "courses")
    assert entry.details["period"] == {"start": "2026-01-01"}


def test_batch_review_status_for_company_and_assignment(client, db, w):
    w.s3.fullname = '=HYPERLINK("http://evil.example","click")'
    db.session.commit()
    sign_in(client, w.manager_a)
    rows = rows_of(client.get(f"/reports/companies/{w.acme.id}/review-status.csv"))
    assert len(rows) == 1 + 8 and rows[0][3] == "student"
    assert all(r[0] in ("Geology Fieldwork", "Biology Fieldwork") for r in rows[1:])
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in [r[3] for r in rows]
    only_x = rows_of(client.get(f"/reports/companies/{w.acme.id}/review-status.csv?assignment={w.X.id}"))
    # by name: the renamed s3 sorts first
    assert [(r[4], r[6], r[7], r[8], r[14]) for r in only_x[1:]] == [
        ("s3", "0", "not submitted", "", "no"), ("s1", "1", "ready", "approved", "no"),
        ("s2", "2", "ready", "new", "yes")]


def test_every_table_downloads(client, db, w):
    add_usage(db, w)
    sign_in(client, w.manager_a)
    a = w.acme.id
    expected = {
        f"/reports/companies/{a}/assignments.csv?course={w.geo.id}": 2,
        f"/reports/companies/{a}/students.csv?assignment={w.X.id}": 3,
        f"/reports/companies/{a}/turnaround.csv": 3,
        f"/reports/companies/{a}/costs.csv": 2,
        f"/reports/companies/{a}/course-costs.csv": 3,
        "/reports/companies.csv": 1,
        "/reports/forecast.csv": 5,
    }
    for path, n in expected.items():
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert len(rows_of(resp)) == n + 1, path
        assert_nothing_of_b(resp)
    assert client.get(f"/reports/companies/{a}/students.csv").status_code == 400   # which assignment?
    exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).all()
    assert len(exports) == len(expected)


# --- budget -------------------------------------------------------------------------------------

def test_budget_set_by_htmx_and_alert_on_company_page(client, db, w):
    add_usage(db, w)
    sign_in(client, w.manager_a)
    token = csrf_token(client, f"/reports/companies/{w.acme.id}")
    resp = client.post(f"/reports/companies/{w.acme.id}/budget", data={"budget": "$20.00"},
                       headers={"HX-Request": "true", "HX-Target": "budget", "X-CSRFToken": token})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "over budget" in body and "<html" not in body
    assert 'hx-swap-oob="true"' in body and "Monthly budget set to $20.00" in body
    page = client.get(f"/reports/companies/{w.acme.id}").get_data(as_text=True)
    assert 'role="alert"' in page and "over the monthly budget of $20.00" in page
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.budget_set")).all()
    assert (entry.details["before_cents"], entry.details["after_cents"]) == (5000, 2000)


@pytest.mark.parametrize("bad", ["lots", "-5", "1e12", "NaN", "Infinity"])
def test_budget_refuses_nonsense(client, db, w, bad):
    sign_in(client, w.manager_a)
    token = csrf_token(client, "/reports/")
    resp = client.post(f"/reports/companies/{w.acme.id}/budget", data={"budget": bad, "csrf_token": token})
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(Company, w.acme.id).monthly_budget_cents == 5000


def test_budget_needs_csrf(client, db, w):
    sign_in(client, w.manager_a)
    assert client.post(f"/reports/companies/{w.acme.id}/budget", data={"budget": "1"}).status_code == 400


# --- forecast -----------------------------------------------------------------------------------

def test_forecast_page_shows_the_seed_table(client, w):
    sign_in(client, w.manager_a)
    body = client.get("/reports/forecast").get_data(as_text=True)
    for cell in ("$22.00", "$4.40", "$26.40", "$44.00", "$48.40", "$66.67", "$4.53", "$71.20", "$132.67",
                 "$13.33", "$146.00", "13,333", "$213.34"):
        assert cell in body, cell
    frag = client.get("/reports/forecast?per_month=10,10&size_gb=1&bitrate_mbps=2",
                      headers={"HX-Request": "true", "HX-Target": "forecast-table"})
    assert "<html" not in frag.get_data(as_text=True)
    resp = client.get("/reports/forecast?users=many")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "is not a whole number" in body
    assert "could not be understood" not in body and "$146.00" not in body    # no stale table beside it
    assert 'value="many" aria-label="Users" aria-invalid="true"' in body       # the form keeps what was typed
    frag = client.get("/reports/forecast?onboard=per_month&per_month=5,x",
                      headers={"HX-Request": "true", "HX-Target": "forecast-table"})
    text = frag.get_data(as_text=True)
    assert frag.status_code == 400 and "Nothing forecast: Users per month" in text and "<table" not in text
    assert "HX-Retarget" not in frag.headers                                  # it replaces the stale table
