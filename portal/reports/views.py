"""Company reports: thin views; what they show comes from pages.py and the services."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import authz, params
from ..audit import record, search_audit
from ..extensions import db
from ..models import AuditEntry
from ..services import costs, reports, usage
from ..services.reports import BadPeriod, Period
from ..web import is_htmx_swap, render_region
from . import bp, exports, pages

MAX_BUDGET_CENTS = 10**11     # a billion dollars: anything above is a typo


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _period() -> Period:
    try:
        return Period.from_args(request.args)
    except BadPeriod as exc:
        abort(400, str(exc))


@bp.before_request
@login_required
def _managers_and_site_admins_only():
    if not authz.is_manager(current_user):
        abort(403)


@bp.get("/")
def index():
    period = _period()
    return render_region("companies", "reports/index.html", "reports/_companies.html",
                         **pages.index_page(current_user, period, _now()))


def _company_view(company_id: int, **drill_at):
    company = authz.company_or_404(current_user, company_id)
    period = _period()
    if "course_id" in drill_at:
        drill_at = {"course": reports.reportable_course(current_user, company, drill_at["course_id"]) or abort(404)}
    elif "assignment_id" in drill_at:
        drill_at = {"assignment": reports.reportable_assignment(current_user, company, drill_at["assignment_id"])
                    or abort(404)}
    now = _now()
    if is_htmx_swap("drill"):   # only the region is swapped: do not compute the rest of the page
        ctx = dict(company=company, period=period, drill=pages.drill(current_user, company, period, now, **drill_at))
    else:
        ctx = pages.company_page(current_user, company, period, now, **drill_at)
    return render_region("drill", "reports/company.html", "reports/_drill.html", **ctx)


@bp.get("/companies/<id:company_id>")
def company(company_id: int):
    return _company_view(company_id)


@bp.get("/companies/<id:company_id>/courses/<id:course_id>")
def course(company_id: int, course_id: int):
    return _company_view(company_id, course_id=course_id)


@bp.get("/companies/<id:company_id>/assignments/<id:assignment_id>")
def assignment(company_id: int, assignment_id: int):
    return _company_view(company_id, assignment_id=assignment_id)


@bp.get("/companies/<id:company_id>/charts")
def charts(company_id: int):
    company = authz.company_or_404(current_user, company_id)
    return render_region("charts", "reports/charts.html", "reports/_charts.html",
                         **pages.charts_region(current_user, company, _period(), _now()))


@bp.post("/companies/<id:company_id>/budget")
def set_budget(company_id: int):
    company = authz.company_or_404(current_user, company_id)
    raw = (request.form.get("budget") or "").strip().replace(",", "").lstrip("$")
    try:
        cents = None if raw == "" else int((Decimal(raw) * 100).to_integral_value())
    except (ArithmeticError, ValueError):     # not a number, NaN, Infinity
        abort(422, f"'{raw}' is not an amount of dollars.")
    if cents is not None and not 0 <= cents <= MAX_BUDGET_CENTS:
        abort(422, "The budget must be between $0 and $1,000,000,000.")
    before = company.monthly_budget_cents
    company.monthly_budget_cents = cents
    record("report.budget_set", current_user, object_type="company", object_id=company.id,
           company_id=company.id, before_cents=before, after_cents=cents)
    db.session.commit()
    flash("Budget removed." if cents is None else f"Monthly budget set to ${costs.cents(Decimal(cents) / 100)}.",
          "success")
    if not is_htmx_swap("budget"):
        return redirect(url_for("reports.company", company_id=company.id))
    [budget] = usage.budget_status(_now(), [company.id], pages.prices())
    return render_template("reports/_budget_swap.html", company=company, budget=budget, prices=pages.prices())


@bp.get("/companies/<id:company_id>/audit")
def audit(company_id: int):
    """The company's part of the audit log, for its managers."""
    company = authz.company_or_404(current_user, company_id)
    entries = db.session.scalars(search_audit(request.args).where(AuditEntry.company_id == company.id)
                                 .limit(100)).all()
    return render_region("audit-rows", "reports/audit.html", "admin/_audit_rows.html",
                         company=company, entries=entries, args=request.args)


@bp.get("/forecast")
def forecast():
    try:
        inputs, form = pages.forecast_inputs(request.args)
    except pages.BadForecast as exc:
        # The form stays as typed and the table region says what to fix: never numbers for other inputs.
        return render_region("forecast-table", "reports/forecast.html", "reports/_forecast_table.html",
                             status=400, forecast=None, form=pages.forecast_form(request.args),
                             error=str(exc), error_field=exc.field)
    result = costs.forecast(inputs, pages.prices())
    return render_region("forecast-table", "reports/forecast.html", "reports/_forecast_table.html",
                         forecast=result, form=form)


# --- CSV ------------------------------------------------------------------------------------------

@bp.get("/companies.csv")
def companies_csv():
    return exports.companies(current_user, _period(), _now())


@bp.get("/forecast.csv")
def forecast_csv():
    try:
        inputs, _ = pages.forecast_inputs(request.args)
    except pages.BadForecast as exc:
        abort(400, str(exc))
    return exports.forecast(current_user, costs.forecast(inputs, pages.prices()))


TABLES = ("courses", "assignments", "students", "turnaround", "costs", "course-costs", "review-status")


@bp.get(f"/companies/<id:company_id>/<any({', '.join(repr(t) for t in TABLES)}):table>.csv")
def company_csv(company_id: int, table: str):
    company = authz.company_or_404(current_user, company_id)
    period = _period()
    scope = {}
    for name, finder in (("course", reports.reportable_course), ("assignment", reports.reportable_assignment)):
        try:
            scope_id = params.id_arg(request.args, name)
        except params.BadParam as exc:
            abort(400, str(exc))
        if scope_id is not None:
            scope[name] = finder(current_user, company, scope_id) or abort(404)
    needs = {"assignments": "course", "students": "assignment"}.get(table)
    if needs and needs not in scope:
        abort(400, f"Say which {needs} (?{needs}=…).")
    return exports.company_table(current_user, company, table, period, _now(), **scope)


@bp.context_processor
def _report_urls():
    def report_url(endpoint: str, period: Period | None = None, **values) -> str:
        return url_for(f"reports.{endpoint}", **values, **(period.as_args() if period else {}))
    return {"report_url": report_url}
