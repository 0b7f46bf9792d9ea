"""A small Moodle-looking UI: log in, the course page, the assignment page whose description links to
the portal, and the grade and feedback a student sees, so a newcomer starts where a student starts."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, render_template_string, request, session

from .functions import Call, store_grade
from .site import Site

bp = Blueprint("ui", __name__)

BASE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title or 'Moodle' }}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;background:#f2f2f2;color:#1d2125}
header{background:#fff;border-bottom:1px solid #dee2e6;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header .brand{font-weight:700;color:#0f6cbf}main{max-width:960px;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:.5rem}
a{color:#0f6cbf}.btn-primary{background:#0f6cbf;color:#fff;border:0;padding:.45rem 1rem;border-radius:.3rem}
table{border-collapse:collapse}td,th{border:1px solid #dee2e6;padding:.35rem .6rem;text-align:left}
.alert{background:#f8d7da;padding:.5rem 1rem}</style></head><body>
<header><span class="brand">{{ sitename }}</span><a href="/">Dashboard</a><span style="flex:1"></span>
{% if me %}{{ me.fullname }} · <a href="/login/logout.php">Log out</a>{% else %}<a href="/login/index.php">Log in</a>{% endif %}</header>
<main>{% block body %}{% endblock %}</main></body></html>"""

LOGIN = """{% extends "moodle_base" %}{% block body %}<h1>Log in to {{ sitename }}</h1>
{% if error %}<p class="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login/index.php"><p><label>Username <input name="username" id="username" autofocus></label></p>
<p><label>Password <input name="password" id="password" type="password"></label></p>
<p><button type="submit" class="btn-primary" id="loginbtn">Log in</button></p></form>
<p style="color:#6a737b">Demo site: every account's password is <code>demo</code>.</p>{% endblock %}"""

DASHBOARD = """{% extends "moodle_base" %}{% block body %}<h1>Dashboard</h1>
{% if not me %}<p><a href="/login/index.php">Log in</a> to see your courses.</p>{% else %}<h2>My courses</h2><ul>
{% for c in courses %}<li><a href="/course/view.php?id={{ c.id }}">{{ c.fullname }}</a></li>{% else %}<li>No courses.</li>{% endfor %}
</ul>{% endif %}{% endblock %}"""

COURSE = """{% extends "moodle_base" %}{% block body %}<h1>{{ course.fullname }}</h1><h2>General</h2><ul>
{% for a in assignments %}<li>📄 <a href="/mod/assign/view.php?id={{ a.cmid }}">{{ a.name }}</a></li>{% endfor %}
</ul>{% endblock %}"""

ASSIGN = """{% extends "moodle_base" %}{% block body %}<p><a href="/course/view.php?id={{ course.id }}">{{ course.fullname }}</a></p>
<h1>{{ a.name }}</h1><div class="intro">{{ intro|safe }}</div>
{% if launch %}<div class="assignsubmission_streamportal_link"><a class="btn btn-primary" id="streamportal-launch"
 href="{{ launch }}" target="_blank" rel="noopener noreferrer">{{ launch_label }}</a></div>{% endif %}
<p>Due: {{ due }}</p>
{% if grading %}<h2>Submissions</h2><table><tr><th>Student</th><th>Status</th><th>Grade</th><th>Video</th></tr>
{% for row in grading %}<tr><td><a href="/mod/assign/view.php?id={{ a.cmid }}&action=grader&userid={{ row.user.id }}">{{ row.user.fullname }}</a></td>
<td>{{ row.status }}</td><td>{{ row.grade }}</td><td>{{ row.video }}</td></tr>{% endfor %}</table>
{% elif me %}<h2>Submission status</h2><table>
<tr><th>Submission status</th><td id="submission-status">{{ status }}</td></tr>
<tr><th>Grade</th><td id="grade">{{ grade }}</td></tr>
<tr><th>Feedback comments</th><td id="feedback">{{ feedback|safe }}</td></tr></table>{% endif %}{% endblock %}"""

GRADER = """{% extends "moodle_base" %}{% block body %}<h1>{{ a.name }}: {{ student.fullname }}</h1>
<p id="attempt">Attempt {{ attempt + 1 }}{% if previous %} ({{ previous }} earlier, read-only){% endif %}</p>
{% if error %}<p class="alert">{{ error }}</p>{% endif %}
<table><tr><th>Grade</th><td id="grade">{{ grade }}</td></tr><tr><th>Feedback</th><td id="feedback">{{ feedback|safe }}</td></tr>
<tr><th>Stream Portal video</th><td id="video">{{ video }}</td></tr></table>
<h2>Grade</h2><form method="post"><input type="hidden" name="sesskey" value="{{ sesskey }}">
<p><label>Grade out of {{ '%.2f'|format(a.grade) }} <input name="grade" id="id_grade" value="{{ raw_grade }}"></label></p>
<p><label>Feedback comments <textarea name="feedback" id="id_feedback">{{ feedback }}</textarea></label></p>
<p><button type="submit" class="btn-primary" id="id_savechanges">Save changes</button></p></form>{% endblock %}"""


def site() -> Site:
    return current_app.extensions["moodle_site"]


def me():
    uid = session.get("moodle_user")
    return site().users.get(uid) if uid else None


def page(template: str, **ctx):
    return render_template_string(template, sitename=site().name, me=me(), **ctx)


@bp.route("/login/index.php", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = next((u for u in site().users.values() if u.username == request.form.get("username", "").strip()), None)
        if user is None or user.password != request.form.get("password") or user.suspended:
            return page(LOGIN, title="Log in", error="Invalid login, please try again"), 200
        session["moodle_user"] = user.id
        session["just_logged_in"] = True
        return redirect(session.pop("wantsurl", None) or "/")
    return page(LOGIN, title="Log in")


@bp.get("/login/logout.php")
def logout():
    session.clear()
    return redirect("/")


@bp.get("/")
def dashboard():
    user = me()
    courses = [site().courses[c] for (u, c) in sorted(site().enrolments) if user and u == user.id]
    return page(DASHBOARD, title="Dashboard", courses=courses)


@bp.get("/course/view.php")
def course():
    c = site().courses.get(request.args.get("id", type=int) or 0) or abort(404)
    if me() is None:
        session["wantsurl"] = request.full_path
        return redirect("/login/index.php")
    return page(COURSE, title=c.fullname, course=c,
                assignments=[a for a in site().assignments.values() if a.course == c.id])


def _grade_text(g, a) -> str:
    return "-" if not g or g.get("grade") is None else f"{g['grade']:.2f} / {a.grade:.2f}"


@bp.get("/mod/assign/view.php")
def assignment():
    cmid = request.args.get("id", type=int)
    a = next((x for x in site().assignments.values() if x.cmid == cmid), None) or abort(404)
    user = me()
    if user is None:
        session["wantsurl"] = request.full_path
        return redirect("/login/index.php")
    course = site().courses[a.course]
    if request.args.get("action") == "grader" and site().is_grader(user.id, a.course):
        return grader(a, user)
    import datetime
    due = datetime.datetime.fromtimestamp(a.duedate, datetime.timezone.utc).strftime("%A, %d %B %Y, %H:%M") if a.duedate else "—"
    grading = None
    if site().is_grader(user.id, a.course):
        grading = []
        for (uid, cid), roles in sorted(site().enrolments.items()):
            if cid == a.course and "student" in roles:
                sub = site().submissions.get((a.id, uid))
                v = next((v for v in site().videos.values() if v["assignmentid"] == a.id and v["userid"] == uid), None)
                grading.append({"user": site().users[uid], "status": (sub or {}).get("status", "No submission"),
                                "grade": _grade_text(site().grades.get((a.id, uid)), a), "video": v["status"] if v else "—"})
    sub = site().submissions.get((a.id, user.id))
    g = site().grades.get((a.id, user.id))
    status = {"submitted": "Submitted for grading", "draft": "Draft (not submitted)", "reopened": "Reopened",
              "new": "No attempt"}.get((sub or {}).get("status", "new"), "No attempt")
    launch, label = _plugin_link(user, a, sub)
    return page(ASSIGN, title=a.name, a=a, course=course, intro=a.intro, due=due, grading=grading, status=status,
                grade=_grade_text(g, a), feedback=(g or {}).get("feedback") or "", launch=launch, launch_label=label)


LAUNCH_LIFETIME = 600        # embed::LAUNCH_LIFETIME


def launch_url(userid: int, cmid: int, now: int | None = None) -> str | None:
    """What the plugin's embed::launch_url() renders (moodle/…/classes/embed.php): a sign-in link
    for the Moodle user signed in here, HMAC-SHA256 over "launch|user|cmid|expires|nonce"."""
    settings = current_app.config["MOODLE"]
    portal, secret = settings["portal_url"].rstrip("/"), settings.get("embed_secret") or ""
    if not portal or not secret:
        return None
    expires = (now or int(time.time())) + LAUNCH_LIFETIME
    nonce = secrets.token_hex(16)
    sig = hmac.new(secret.encode(), f"launch|{userid}|{cmid}|{expires}|{nonce}".encode(), hashlib.sha256).hexdigest()
    return f"{portal}/auth/moodle?" + urlencode({"user": userid, "cmid": cmid, "expires": expires,
                                                 "nonce": nonce, "sig": sig})


def _plugin_link(user, a, sub) -> tuple[str | None, str]:
    """The plugin's view_header(): the signed link for students and graders of an assignment with
    the plugin enabled; the plain upload link for students when no secret is set."""
    if not a.plugin_enabled("assignsubmission", "streamportal"):
        return None, ""
    grader = site().is_grader(user.id, a.course)
    if not grader and not site().has_capability(user.id, "mod/assign:submit", a.course):
        return None, ""
    url = launch_url(user.id, a.cmid)
    if url is None and not grader:
        url = f"{current_app.config['MOODLE']['portal_url'].rstrip('/')}/a/{a.cmid}"
    if grader:
        return url, "Open in Stream Portal"
    has_video = any(v["assignmentid"] == a.id and v["userid"] == user.id for v in site().videos.values())
    return url, "Open your video in the Stream Portal" if has_video else "Upload your video in the Stream Portal"


def sesskey() -> str:
    if "sesskey" not in session:
        session["sesskey"] = secrets.token_hex(5)
    return session["sesskey"]


@bp.post("/mod/assign/view.php")
def grade_in_moodle():
    """The grader's "Save changes": the teacher grades the latest attempt in Moodle itself, recorded
    with the teacher as grader, as Moodle records it (issue 16, defect 6)."""
    cmid = request.args.get("id", type=int)
    a = next((x for x in site().assignments.values() if x.cmid == cmid), None) or abort(404)
    user = me()
    if user is None or request.args.get("action") != "grader" or not site().is_grader(user.id, a.course):
        abort(403)
    if request.form.get("sesskey") != session.get("sesskey"):
        abort(400)
    raw = request.form.get("grade", "").strip()
    try:
        value = -1.0 if raw == "" else float(raw)
    except ValueError:
        return grader(a, user, error="The grade must be a number.")
    if value != -1 and not 0 <= value <= a.grade:
        return grader(a, user, error=f"The grade must be between 0 and {a.grade:.2f}.")
    student = site().users.get(request.args.get("userid", type=int)) or abort(404)
    call = Call(site(), user, current_app.config["MOODLE"]["siteurl"], "")
    with site().lock:
        store_grade(call, a, student.id, value,
                     {"assignfeedbackcomments_editor": {"text": request.form.get("feedback", ""), "format": 1}},
                     False, -1)
    return redirect(request.full_path)


def grader(a, user, error: str | None = None):
    student = site().users.get(request.args.get("userid", type=int)) or abort(404)
    g = site().grades.get((a.id, student.id))
    sub = site().submissions.get((a.id, student.id)) or {"attemptnumber": 0}
    v = next((v for v in site().videos.values() if v["assignmentid"] == a.id and v["userid"] == student.id), None)
    return page(GRADER, title=a.name, a=a, student=student, grade=_grade_text(g, a), error=error,
                raw_grade="" if not g or g.get("grade") is None else f"{g['grade']:g}",
                feedback=(g or {}).get("feedback") or "", attempt=sub["attemptnumber"],
                previous=len(site().previous_attempts.get((a.id, student.id), [])), sesskey=sesskey(),
                video=f"{v['streamuid']} ({v['status']}, {v['durationseconds']:.0f} s)" if v else "—")


def install(app) -> None:
    from jinja2 import DictLoader, ChoiceLoader
    app.jinja_loader = ChoiceLoader([DictLoader({"moodle_base": BASE}), app.jinja_loader])

