"""Datasets: `demo` for `make run` (two IOMAD companies with managers, teachers, students and
video assignments) and `iomad-lab`, the state of the recorded IOMAD 4.3.7 site when the
recordings in ../shared/contracts/moodle/recorded/ began (just after its set-up calls)."""
from __future__ import annotations

import time

from .site import Assignment, Company, Course, Page, Site, User

DAY = 86400
PORTAL_FUNCTIONS = {
    "core_webservice_get_site_info", "core_user_get_users_by_field", "core_enrol_get_users_courses",
    "core_enrol_get_enrolled_users", "core_course_get_courses_by_field", "core_course_get_contents",
    "core_course_get_course_module", "mod_assign_get_assignments", "mod_assign_get_grades",
    "mod_assign_get_submissions", "mod_assign_get_submission_status", "mod_assign_save_grade",
    "mod_assign_save_grades", "mod_assign_get_user_flags", "mod_assign_set_user_flags",
    "mod_assign_save_submission", "mod_assign_submit_for_grading", "core_grades_update_grades",
    "block_iomad_company_admin_get_companies", "block_iomad_company_admin_get_company_courses",
    "block_iomad_company_admin_get_user_companies", "block_iomad_company_admin_get_departments",
    "block_iomad_company_admin_get_department_users",
    "assignsubmission_streamportal_record_video", "assignsubmission_streamportal_get_videos",
    "assignsubmission_streamportal_set_video_status", "assignsubmission_streamportal_get_user_context",
}
# IOMAD's company administration, in the recorded site's service but not the portal's.
IOMAD_ADMIN_FUNCTIONS = {"block_iomad_company_admin_create_companies", "block_iomad_company_admin_edit_companies"}


def video_configs(maxminutes: int = 30) -> list[dict[str, str]]:
    return [{"plugin": "streamportal", "subtype": "assignsubmission", "name": "enabled", "value": "1"},
            {"plugin": "streamportal", "subtype": "assignsubmission", "name": "maxbytes", "value": str(5 * 1024**3)},
            {"plugin": "streamportal", "subtype": "assignsubmission", "name": "maxminutes", "value": str(maxminutes)},
            {"plugin": "comments", "subtype": "assignfeedback", "name": "enabled", "value": "1"}]


def demo(*, portal_url: str, service_token: str, client_id: str, client_secret: str,
         redirect_uris: list[str]) -> Site:
    now = int(time.time())
    users: dict[int, User] = {}

    def person(uid, username, first, last, **kw):
        users[uid] = User(uid, username, first, last, f"{username}@example.org", **kw)

    person(2, "admin", "Ada", "Admin", siteadmin=True)
    person(3, "streamportal", "Stream", "Portal")
    people = [  # id, username, first, last
        (10, "manager1", "Maya", "Manager"), (11, "teacher1", "Tom", "Teacher"), (12, "teacher2", "Tara", "Tutor"),
        (13, "student1", "Sam", "Student"), (14, "student2", "Sally", "Scholar"), (15, "student3", "Sid", "Surveyor"),
        (16, "student4", "Sue", "Sampler"),
        (20, "managerb1", "Bea", "Boss"), (21, "teacherb1", "Ben", "Bright"), (22, "teacherb2", "Bo", "Booker"),
        (23, "studentb1", "Bill", "Beta"), (24, "studentb2", "Bella", "Baker"), (25, "studentb3", "Basil", "Brown"),
        (26, "studentb4", "Bree", "Bell"),
    ]
    for p in people:
        person(*p)
    courses = {c.id: c for c in [
        Course(2, "GEO101", "Field Geology"), Course(3, "ECO102", "Urban Ecology"),
        Course(4, "SUR201", "Survey Methods"), Course(5, "ARC202", "Site Archaeology")]}
    link = lambda cmid: (f'<p>Record your fieldwork and upload it in the '
                         f'<a href="{portal_url}/a/{cmid}">Stream Portal</a>.</p>')
    assignments = {a.id: a for a in [
        # Teachers who allow three attempts reopen them by hand ("manual"); the rock log keeps
        # Moodle 4.3's defaults (reopen "none", unlimited attempts), so it allows one attempt.
        Assignment(1, 101, 2, "River walk video", link(101), now + 14 * DAY, 100, maxattempts=3,
                   attemptreopenmethod="manual", configs=video_configs()),
        Assignment(2, 102, 2, "Rock outcrop log", link(102), now - 2 * DAY, 10, configs=video_configs(15)),
        Assignment(3, 103, 3, "Park transect", link(103), now + 21 * DAY, 100, maxattempts=3,
                   attemptreopenmethod="manual", configs=video_configs()),
        Assignment(4, 104, 4, "Total station setup", link(104), now + 10 * DAY, 100, maxattempts=3,
                   attemptreopenmethod="manual", configs=video_configs()),
        Assignment(5, 105, 5, "Trench walkthrough", link(105), now + 30 * DAY, 100, maxattempts=3,
                   attemptreopenmethod="untilpass", gradepass=50, configs=video_configs()),
    ]}
    companies = {1: Company(1, "Acme Field Studies", "acme", "ACME", "Leeds"),
                 2: Company(2, "Beta Surveys", "beta", "BETA", "York")}
    enrol: dict[tuple[int, int], list[str]] = {}
    for course in (2, 3):
        for uid in (11, 12):
            enrol[(uid, course)] = ["editingteacher"]
        for uid in (13, 14, 15, 16):
            enrol[(uid, course)] = ["student"]
        enrol[(10, course)] = ["companycourseeditor"]       # IOMAD enrols managers this way
    for course in (4, 5):
        for uid in (21, 22):
            enrol[(uid, course)] = ["editingteacher"]
        for uid in (23, 24, 25, 26):
            enrol[(uid, course)] = ["student"]
        enrol[(20, course)] = ["companycourseeditor"]
    company_users = {(uid, 1): 0 for uid in (11, 12, 13, 14, 15, 16)} | {(10, 1): 1}
    company_users |= {(uid, 2): 0 for uid in (21, 22, 23, 24, 25, 26)} | {(20, 2): 1}
    return Site(
        name="Demo IOMAD", users=users, courses=courses, assignments=assignments, companies=companies,
        enrolments=enrol, company_users=company_users, company_courses={1: [2, 3], 2: [4, 5]},
        tokens={service_token: {"userid": 3, "service": "streamportal"}},
        oauth_clients={client_id: {"secret": client_secret, "redirect_uris": list(redirect_uris),
                                   "scope": "openid profile email", "require_pkce": True}},
        service_functions={"streamportal": set(PORTAL_FUNCTIONS)},
        system_roles={3: ["streamportal"]},        # the README's service role, at system level
    )


def lab_configs(feedback: bool = True) -> list[dict[str, str]]:
    """The recorded site's online text assignments (feedback comments on, except in LAB2)."""
    out = [{"plugin": "onlinetext", "subtype": "assignsubmission", "name": "enabled", "value": "1"},
           {"plugin": "onlinetext", "subtype": "assignsubmission", "name": "wordlimit", "value": "0"},
           {"plugin": "onlinetext", "subtype": "assignsubmission", "name": "wordlimitenabled", "value": "0"},
           {"plugin": "comments", "subtype": "assignsubmission", "name": "enabled", "value": "0"}]
    if feedback:
        out += [{"plugin": "comments", "subtype": "assignfeedback", "name": "enabled", "value": "1"},
                {"plugin": "comments", "subtype": "assignfeedback", "name": "commentinline", "value": "0"}]
    return out


def iomad_lab(**_ignored) -> Site:
    """The recorded site (recorded/README.md) right after its set-up calls (create_companies,
    assign_courses, assign_users): admin 2, wsuser 3, teacher1 4, student1 5 (in LAB1 and LAB2),
    student2 6, student3 7 (never enrolled), manager1 8 (Acme manager), studentb1 9 (Beta), student4 10
    (in no course or company yet); LAB1 = 2 (Acme), LAB2 = 3 (Beta); "Essay 1" id 1 cmid 1 (drafts,
    grade 100), "Quick task" id 2 cmid 2 (no drafts, grade 10), "Beta essay" id 3 cmid 4 in LAB2 and
    a welcome page cmid 3; companies Acme 1, Beta 2, with top departments 1 and 2. Dates are relative
    to the start, as the courses were created just before the recording."""
    now = int(time.time())
    users = {u.id: u for u in [
        User(2, "admin", "Admin", "User", "admin@example.com", siteadmin=True),
        User(3, "wsuser", "Service", "Account", "wsuser@example.com", password="Ws-12345"),
        User(4, "teacher1", "Terry", "Teacher", "teacher1@example.com"),
        User(5, "student1", "Sam", "Student", "student1@example.com"),
        User(6, "student2", "Sally", "Scholar", "student2@example.com"),
        User(7, "student3", "Stan", "Stranger", "student3@example.com"),
        User(8, "manager1", "Mona", "Manager", "manager1@example.com"),
        User(9, "studentb1", "Bob", "Beta", "studentb1@example.com"),
        User(10, "student4", "Nora", "Notoken", "student4@example.com", idnumber=""),
    ]}
    for u in users.values():
        if u.username.startswith("student") or u.username in ("teacher1", "manager1"):
            u.password = "Student-123"
    start = now - now % DAY
    courses = {c.id: c for c in [
        Course(2, "LAB1", "Lab Course One", summary="<p>Lab Course One summary</p>", startdate=start, topics=2,
               timecreated=now),
        Course(3, "LAB2", "Lab Course Two", summary="<p>Lab Course Two summary</p>", startdate=start,
               timecreated=now)]}
    assignments = {a.id: a for a in [
        Assignment(1, 1, 2, "Essay 1", "<p>Write an essay.</p>", now + 7 * DAY, 100, submissiondrafts=1,
                   allowsubmissionsfromdate=now - DAY, configs=lab_configs(), timemodified=now),
        Assignment(2, 2, 2, "Quick task", "No drafts", 0, 10, configs=lab_configs(), timemodified=now, section=2),
        Assignment(3, 4, 3, "Beta essay", "Test assign 3", 0, 100, submissiondrafts=1, configs=lab_configs(False),
                   timemodified=now)]}
    all_functions = PORTAL_FUNCTIONS | IOMAD_ADMIN_FUNCTIONS
    return Site(
        name="Lab", shortname="lab", theme="iomadboost", users=users, courses=courses, assignments=assignments,
        pages={3: Page(3, 1, 2, "Welcome page", timemodified=now)},
        companies={1: Company(1, "Acme Corp", "acme", "ACME", "London", departmentid=1),
                   2: Company(2, "Beta Ltd", "beta", "BETA", "Paris", "FR", departmentid=2)},
        enrolments={(4, 2): ["editingteacher"], (5, 2): ["student"], (6, 2): ["student"],
                    (8, 2): ["companycourseeditor"], (5, 3): ["student"], (9, 3): ["student"]},
        company_users={(3, 1): 0, (4, 1): 0, (5, 1): 0, (6, 1): 0, (8, 1): 1, (9, 2): 0},
        company_courses={1: [2], 2: [3]},
        # The tokens seen in the recordings, with the users and services they belong to.
        tokens={"4b4c64ea9523cbd447a03c42a1b349cb": {"userid": 3, "service": "lab_service"},
                "db47989f78f2102de54be66375b5abba": {"userid": 5, "service": "lab_service"},
                "c35404a7da04c90b2e9733f030a64bcd": {"userid": 8, "service": "lab_service"},
                "18e7574e1046c6da52a5cfe0aaa8aa93": {"userid": 4, "service": "lab_service"},
                "6e9d6cd1e25225d588b72c7e042870ad": {"userid": 9, "service": "lab_small"},
                "3ab2cb25ce2ba24a800a70ef4ae824ba": {"userid": 6, "service": "lab_service"},
                "002dc11ff0830e738c80a4e1c769889e": {"userid": 5, "service": "moodle_mobile_app"}},
        oauth_clients={}, service_functions={"lab_service": all_functions, "lab_small": {"core_webservice_get_site_info"},
                                             "moodle_mobile_app": all_functions},
        system_roles={3: ["streamportal"]},
    )


DATASETS = {"demo": demo, "iomad-lab": iomad_lab}
