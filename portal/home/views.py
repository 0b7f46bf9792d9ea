from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from .. import authz
from ..extensions import db
from ..models import Assignment, Course
from . import bp


@bp.get("/")
@login_required
def index():
    assignments = db.session.scalars(
        authz.submittable_assignments(current_user).join(Assignment.course)
        .order_by(Course.fullname, Assignment.due_at, Assignment.name)).all()
    return render_template("home/index.html", assignments=assignments,
                           teaches=authz.is_teacher(current_user),
                           manages=authz.is_manager(current_user))
