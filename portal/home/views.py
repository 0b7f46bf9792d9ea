from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..models import utcnow
from ..services import home
from . import bp


@bp.get("/")
@login_required
def index():
    lines = home.student_home(current_user, utcnow())
    if not lines:
        landing = home.landing_endpoint(current_user, current_app.blueprints)
        if landing:
            return redirect(url_for(landing))
    return render_template("home/index.html", lines=lines)
