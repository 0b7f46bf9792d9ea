"""The web-service functions, answering with the declared structures (keys in declaration order,
optional keys left out, grades as five-decimal strings) and the recorded errors."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from .site import ROLE_IDS, ROLE_NAMES, Assignment, Company, Course, Page, Site, User


class Fault(Exception):
    """A Moodle exception, sent as the JSON error envelope with HTTP 200."""

    def __init__(self, exception: str, errorcode: str | None, message: str, debuginfo: str | None = None):
        super().__init__(message)
        self.exception, self.errorcode, self.message, self.debuginfo = exception, errorcode, message, debuginfo


def nopermissions(what: str) -> Fault:
    return Fault("required_capability_exception", "nopermissions",
                 f"Sorry, but you do not currently have permissions to do that ({what}).")


def course_context(courseid: int) -> Fault:
    return Fault("moodle_exception", "errorcoursecontextnotvalid",
                 f"You cannot execute functions in the course context (course id:{courseid}). The context "
                 "error message was: Course or activity not accessible.")


def missing(table: str) -> Fault:
    return Fault("dml_missing_record_exception", "invalidrecord", f"Can't find data record in database table {table}.")


class Call:
    """One web-service call: the site, the token's user, the site URL."""

    def __init__(self, site: Site, user: User, siteurl: str, service: str):
        self.site, self.user, self.siteurl, self.service = site, user, siteurl, service

    def can(self, capability: str, courseid: int | None = None) -> bool:
        return self.site.has_capability(self.user.id, capability, courseid)

    @property
    def privileged(self) -> bool:
        """Sees every course without being enrolled: moodle/course:view at system level (site
        admins and the portal's service role)."""
        return self.can("moodle/course:view")

    def manager_companies(self) -> set[int]:
        return {c for (u, c), t in self.site.company_users.items() if u == self.user.id and t in (1, 2)}

    def may_see_course(self, courseid: int) -> bool:
        if self.privileged or self.site.roles(self.user.id, courseid):
            return True
        company = self.site.course_company(courseid)
        return company is not None and company in self.manager_companies()

    def picture(self, size: str) -> str:
        return f"{self.siteurl}/theme/image.php/{self.site.theme}/core/1795574573/u/{size}"


def g5(value: float | None) -> str:
    return f"{(-1 if value is None else value):.5f}"


# --- core ----------------------------------------------------------------------------------------

ADVANCED = [("usecomments", 1), ("usetags", 1), ("enablenotes", 1), ("messaging", 1), ("enableblogs", 1),
            ("enablecompletion", 1), ("enablebadges", 1), ("messagingallusers", 0), ("enablecustomreports", 1),
            ("enableglobalsearch", 0), ("mnet_dispatcher_mode", 0)]


def site_info(c: Call, serviceshortnames):
    u = c.user
    return {"sitename": c.site.name, "username": u.username, "firstname": u.firstname, "lastname": u.lastname,
            "fullname": u.fullname, "lang": u.lang, "userid": u.id, "siteurl": c.siteurl,
            "userpictureurl": c.picture("f1"),
            "functions": [{"name": f, "version": "2024100700"} for f in sorted(c.site.service_functions.get(c.service, ()))],
            "downloadfiles": 0, "uploadfiles": 0, "release": "4.5 (Build: 20241007)", "version": "2024100700",
            "mobilecssurl": "", "advancedfeatures": [{"name": n, "value": v} for n, v in ADVANCED], "usercanmanageownfiles": True, "userquota": 104857600,
            "usermaxuploadfilesize": 104857600, "userhomepage": 1, "userprivateaccesskey": "0" * 32,
            "siteid": 1, "sitecalendartype": "gregorian", "usercalendartype": "gregorian",
            "userissiteadmin": u.siteadmin, "theme": c.site.theme, "limitconcurrentlogins": 0}


def shares_course(c: Call, userid: int) -> bool:
    return bool(set(c.site.user_courses(userid)) & set(c.site.user_courses(c.user.id)))


def sees_all_of(c: Call, u: User) -> bool:
    """Username, names, department, idnumber, auth...: oneself, or moodle/user:viewalldetails."""
    return c.privileged or u.id == c.user.id


def user_record(c: Call, u: User) -> dict[str, Any] | None:
    out: dict[str, Any] = {"id": u.id}
    if sees_all_of(c, u):
        out.update(username=u.username, firstname=u.firstname, lastname=u.lastname, fullname=u.fullname,
                   email=u.email, department="", **({"idnumber": u.idnumber} if u.idnumber else {}),
                   firstaccess=0, lastaccess=0, auth="manual", suspended=u.suspended, confirmed=True, lang=u.lang,
                   theme="", timezone="99", mailformat=1)
    elif shares_course(c, u.id):
        # Recorded: a classmate's profile as far as the course shows it.
        out.update(fullname=u.fullname, email=u.email, firstaccess=0, lastaccess=0, suspended=u.suspended,
                   timezone="99")
    else:
        return None                                 # dropped, as Moodle drops users it may not show
    out.update(profileimageurlsmall=c.picture("f2"), profileimageurl=c.picture("f1"))
    return out


def users_by_field(c: Call, field, values):
    if field not in ("id", "idnumber", "username", "email"):
        raise Fault("coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: "
                    "invalid field parameter")
    for v in values:
        # clean_param($value, PARAM_INT) must leave the value unchanged (REAL-SITE.md: values[0]=abc).
        if field == "id" and not re.fullmatch(r"-?\d+", v):
            raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                        f"The field 'id' value is invalid: {v}(cleaned value: 0)")
    out = []
    for u in sorted(c.site.users.values(), key=lambda u: u.id):
        key = {"id": str(u.id), "username": u.username, "email": u.email, "idnumber": u.idnumber}[field]
        if key in values and (rec := user_record(c, u)) is not None:
            out.append(rec)
    return out


def course_context_id(courseid: int) -> int:
    """Context ids as numbered on the recorded site: front page 2, then courses, then modules."""
    return 2 if courseid == 1 else 21 + courseid


def module_context_id(cmid: int) -> int:
    return 24 + cmid


def course_image(c: Call, courseid: int) -> str:
    return f"{c.siteurl}/pluginfile.php/{course_context_id(courseid)}/course/generated/course.svg"


def course_record(c: Call, course, usercount: int | None, mine: bool):
    """core_enrol_get_users_courses; completion details only for oneself or a privileged caller."""
    out = {"id": course.id, "shortname": course.shortname, "fullname": course.fullname, "displayname": course.fullname}
    if usercount is not None:
        out["enrolledusercount"] = usercount
    out.update(idnumber=course.idnumber, visible=course.visible, summary=course.summary, summaryformat=1,
               format="topics", courseimage=course_image(c, course.id), showgrades=True, lang="",
               enablecompletion=True, completionhascriteria=False, completionusertracked=mine,
               category=course.category, progress=None, completed=False if mine else None,
               startdate=course.startdate, enddate=course.enddate, marker=0, lastaccess=None, isfavourite=False,
               hidden=False, overviewfiles=[], showactivitydates=False, showcompletionconditions=True,
               timemodified=course.timecreated)
    return out


def users_courses(c: Call, userid, returnusercount):
    if userid not in c.site.users:
        return []
    mine = c.privileged or userid == c.user.id
    # Suspended enrolments are not listed (contract response_notes).
    ids = [cid for cid in c.site.user_courses(userid, onlyactive=True) if mine or cid in c.site.user_courses(c.user.id)]
    return [course_record(c, c.site.courses[cid], len(c.site.course_users(cid)) if returnusercount else None, mine)
            for cid in ids]


def role_records(roles: list[str]) -> list[dict[str, Any]]:
    return [{"roleid": ROLE_IDS.get(r, 5), "name": ROLE_NAMES.get(r, ""), "shortname": r, "sortorder": 0}
            for r in roles]


def enrolled_user(c: Call, u: User, roles: list[str]) -> dict[str, Any]:
    full = sees_all_of(c, u)
    rec: dict[str, Any] = {"id": u.id}
    if full:
        rec["username"] = u.username
    rec.update(firstname=u.firstname, lastname=u.lastname, fullname=u.fullname, email=u.email)
    if full:
        rec["department"] = ""
        if u.idnumber:
            rec["idnumber"] = u.idnumber
    rec.update(firstaccess=0, lastaccess=0, lastcourseaccess=0, profileimageurlsmall=c.picture("f2"),
               profileimageurl=c.picture("f1"), roles=role_records(roles))
    if u.id == c.user.id:
        now = c.site.now()
        rec["preferences"] = [{"name": "last_time_enrolments_synced", "value": str(now)},
                              {"name": "_lastloaded", "value": now}]
    rec["enrolledcourses"] = [{"id": x.id, "fullname": x.fullname, "shortname": x.shortname}
                              for x in map(c.site.courses.get, c.site.user_courses(u.id))]
    return rec


def enrolled_users(c: Call, courseid, options):
    if courseid not in c.site.courses:
        raise missing("course")
    if not c.may_see_course(courseid):
        raise course_context(courseid)
    opts = {o["name"]: o["value"] for o in options}
    cap = opts.get("withcapability")
    onlyactive = opts.get("onlyactive") == "1"
    if (cap and not c.can("moodle/role:review", courseid)) or \
            (onlyactive and not c.can("moodle/course:enrolreview", courseid)):
        raise nopermissions("Review permissions for others")
    fields = set(opts["userfields"].split(",")) | {"id", "fullname"} if opts.get("userfields") else None
    out = []
    for uid in c.site.course_users(courseid):
        roles = c.site.roles(uid, courseid)
        # Without onlyactive, suspended enrolments are listed (contract response_notes).
        if onlyactive and (uid, courseid) in c.site.suspended_enrolments:
            continue
        if cap and not any(cap in c.site.role_caps.get(r, set())
                           for r in roles + c.site.system_roles.get(uid, [])) and not c.site.users[uid].siteadmin:
            continue
        rec = enrolled_user(c, c.site.users[uid], roles)
        out.append({k: v for k, v in rec.items() if fields is None or k in fields})
    return out


def course_module(c: Call, cmid):
    a = next((a for a in c.site.assignments.values() if a.cmid == cmid), None)
    if a is None:
        raise Fault("dml_missing_record_exception", "invalidrecordunknown", "Can't find data record in database.")
    if not c.may_see_course(a.course):
        raise Fault("require_login_exception", "requireloginerror", "Course or activity not accessible.")
    return {"cm": {"id": a.cmid, "course": a.course, "module": 1, "name": a.name, "modname": "assign",
                   "instance": a.id, "section": first_section_id(c, a.course) + a.section, "sectionnum": a.section,
                   "groupmode": 0, "groupingid": 0, "completion": 0, "downloadcontent": 1}, "warnings": []}


FILTERS = ["displayh5p", "activitynames", "mathjaxloader", "emoticon", "urltolink", "mediaplugin"]
TOPICS_OPTIONS = [{"name": "hiddensections", "value": 1}, {"name": "coursedisplay", "value": 0},
                  {"name": "indentation", "value": "1"}]


def frontpage(c: Call) -> Course:
    return Course(1, c.site.shortname, c.site.name, category=0, startdate=0, idnumber="")


def public_course(c: Call, x: Course) -> dict[str, Any]:
    """What anyone may read about a course (core_course_get_courses_by_field)."""
    site = x.id == 1
    teachers = [] if site else c.site.course_users(x.id, "editingteacher")
    return {"id": x.id, "fullname": x.fullname, "displayname": x.fullname, "shortname": x.shortname,
            "courseimage": course_image(c, x.id), "categoryid": x.category,
            "categoryname": "" if site else "Category 1",
            "sortorder": 1 if site else 30000 + sum(1 for y in c.site.courses if y >= x.id),
            "summary": x.summary, "summaryformat": 0 if site else 1, "summaryfiles": [], "overviewfiles": [],
            "showactivitydates": False, "showcompletionconditions": None if site else True,
            "contacts": [{"id": u, "fullname": c.site.users[u].fullname} for u in teachers],
            "enrollmentmethods": [] if site else ["manual"]}


def course_details(c: Call, x: Course) -> dict[str, Any]:
    """The rest for a caller who can enter the course, with the editing fields for one who may update it."""
    site = x.id == 1
    editor = c.privileged or c.site.can_update(c.user.id, x.id)
    out = public_course(c, x)
    if editor:
        out["idnumber"] = x.idnumber
    out.update(format="site" if site else "topics", showgrades=1, newsitems=3 if site else 0, startdate=x.startdate,
               enddate=x.enddate, maxbytes=0, showreports=0, visible=x.visible, groupmode=0, groupmodeforce=0,
               defaultgroupingid=0, enablecompletion=0 if site else 1, completionnotify=0, lang="", theme="", marker=0)
    if editor:
        out.update(legacyfiles=0, calendartype="", timecreated=x.timecreated, timemodified=x.timecreated, requested=0,
                   cacherev=x.timecreated)
    out["filters"] = [{"filter": f, "localstate": 0, "inheritedstate": 1} for f in FILTERS]
    if not site:                                    # the front page's format has no options
        out["courseformatoptions"] = TOPICS_OPTIONS
    return out


def courses_by_field(c: Call, field, value):
    courses = [frontpage(c)] + sorted(c.site.courses.values(), key=lambda x: x.id)
    if field == "id":
        courses = [x for x in courses if str(x.id) == value]
    elif field == "ids":
        wanted = set(value.split(","))
        courses = [x for x in courses if str(x.id) in wanted]
    elif field == "shortname":
        courses = [x for x in courses if x.shortname == value]
    elif field == "idnumber":
        courses = [x for x in courses if x.idnumber == value]
    # Recorded: every course is listed to everyone, in full only where the caller may enter.
    return {"courses": [course_details(c, x) if x.id == 1 or c.may_see_course(x.id) else public_course(c, x)
                        for x in courses], "warnings": []}


def first_section_id(c: Call, courseid: int) -> int:
    """Section ids run through the courses in order, as on a site where they were created so."""
    return 1 + sum(x.topics + 1 for x in c.site.courses.values() if x.id < courseid)


def module_record(c: Call, cmid: int, instance: int, modname: str, plural: str, name: str, editor: bool,
                  customdata: str, dates: list[dict[str, Any]]) -> dict[str, Any]:
    out = {"id": cmid, "url": f"{c.siteurl}/mod/{modname}/view.php?id={cmid}", "name": name, "instance": instance,
           "contextid": module_context_id(cmid), "visible": 1, "uservisible": True, "visibleoncoursepage": 1,
           "modicon": f"{c.siteurl}/theme/image.php/{c.site.theme}/{modname}/1795574573/monologo?filtericon=1",
           "modname": modname, "modplural": plural}
    if editor:                                      # recorded: only for those who may edit the course
        out["availability"] = None
    out.update(indent=0, onclick="", afterlink=None, customdata=customdata, noviewlink=False, completion=0,
               downloadcontent=1, dates=dates, groupmode=0)
    return out


def assign_module(c: Call, a: Assignment, editor: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    dates = []
    if a.duedate:
        data["duedate"] = a.duedate
    if a.allowsubmissionsfromdate:
        # Recorded: the due date as a number, the opening date as a string.
        data["allowsubmissionsfromdate"] = str(a.allowsubmissionsfromdate)
        dates.append({"label": "Opened:" if a.allowsubmissionsfromdate <= c.site.now() else "Opens:",
                      "timestamp": a.allowsubmissionsfromdate, "dataid": "allowsubmissionsfromdate"})
    if a.duedate:
        dates.append({"label": "Due:", "timestamp": a.duedate, "dataid": "duedate"})
    customdata = json.dumps(data, separators=(",", ":")) if data else '""'
    return module_record(c, a.cmid, a.id, "assign", "Assignments", a.name, editor, customdata, dates)


def page_module(c: Call, p: Page, editor: bool) -> dict[str, Any]:
    out = module_record(c, p.cmid, p.instance, "page", "Pages", p.name, editor, '""', [])
    out["contents"] = [{"type": "file", "filename": "index.html", "filepath": "/", "filesize": 0,
                        "fileurl": f"{c.siteurl}/webservice/pluginfile.php/{module_context_id(p.cmid)}/mod_page/"
                                   "content/index.html?forcedownload=1",
                        "timecreated": None, "timemodified": p.timemodified, "sortorder": 1, "userid": None,
                        "author": None, "license": None}]
    out["contentsinfo"] = {"filescount": 1, "filessize": 0, "lastmodified": p.timemodified, "mimetypes": [],
                           "repositorytype": ""}
    return out


def course_contents(c: Call, courseid, options):
    if courseid not in c.site.courses:
        raise missing("course")
    if not c.may_see_course(courseid):
        raise course_context(courseid)
    editor = c.privileged or c.site.can_update(c.user.id, courseid)
    modules = [(p.section, p.cmid, page_module(c, p, editor)) for p in c.site.pages.values() if p.course == courseid]
    modules += [(a.section, a.cmid, assign_module(c, a, editor))
                for a in c.site.assignments.values() if a.course == courseid]
    first = first_section_id(c, courseid)
    return [{"id": first + n, "name": "General" if n == 0 else f"Topic {n}", "visible": 1, "summary": "",
             "summaryformat": 1, "section": n, "hiddenbynumsections": 0, "uservisible": True,
             "modules": [m for s, _, m in sorted(modules, key=lambda x: x[:2]) if s == n]}
            for n in range(c.site.courses[courseid].topics + 1)]


# --- mod_assign ---------------------------------------------------------------------------------

def assignment_record(a) -> dict[str, Any]:
    return {"id": a.id, "cmid": a.cmid, "course": a.course, "name": a.name, "nosubmissions": 0,
            "submissiondrafts": a.submissiondrafts, "sendnotifications": 0, "sendlatenotifications": 0,
            "sendstudentnotifications": 1, "duedate": a.duedate, "allowsubmissionsfromdate": a.allowsubmissionsfromdate,
            "grade": a.grade, "timemodified": a.timemodified, "completionsubmit": 0, "cutoffdate": a.cutoffdate,
            "gradingduedate": 0, "teamsubmission": 0, "requireallteammemberssubmit": 0, "teamsubmissiongroupingid": 0,
            "blindmarking": 0, "hidegrader": 0, "revealidentities": 0, "attemptreopenmethod": a.attemptreopenmethod,
            "maxattempts": a.maxattempts, "markingworkflow": 0, "markingallocation": 0,
            "requiresubmissionstatement": 0, "preventsubmissionnotingroup": 0, "configs": a.configs,
            "intro": a.intro, "introformat": 1, "introfiles": [], "introattachments": [], "timelimit": 0,
            "submissionattachments": 0}


def not_enrolled(cid: int) -> dict[str, Any]:
    return {"item": "course", "itemid": cid, "warningcode": "2",
            "message": "User is not enrolled or does not have requested capability"}


def get_assignments(c: Call, courseids, capabilities, includenotenrolledcourses):
    warnings = []
    mine = c.site.user_courses(c.user.id)
    if not courseids:
        ids = mine
    elif includenotenrolledcourses:
        ids = list(courseids)
    else:                                           # enrolment is checked before access
        ids = [cid for cid in courseids if cid in mine]
        warnings += [not_enrolled(cid) for cid in courseids if cid not in mine]
    courses = []
    for cid in ids:
        course = c.site.courses.get(cid)
        if course is None or not c.may_see_course(cid):
            warnings.append({"item": "course", "itemid": cid, "warningcode": "1",
                             "message": "No access rights in course context"})
            continue
        courses.append({"id": course.id, "fullname": course.fullname, "shortname": course.shortname,
                        "timemodified": course.timecreated,
                        "assignments": [assignment_record(a) for a in sorted(c.site.assignments.values(), key=lambda a: a.id)
                                        if a.course == cid]})
    return {"courses": courses, "warnings": warnings}


def _assignment(c: Call, assignmentid):
    a = c.site.assignments.get(assignmentid)
    if a is None:
        raise missing("assign")
    return a


def _reachable(c: Call, assignmentid):
    """The assignment, once require_login has let the caller in (mod_assign's validate_assign)."""
    a = _assignment(c, assignmentid)
    if not c.may_see_course(a.course):
        raise Fault("require_login_exception", "requireloginerror", "Course or activity not accessible.")
    return a


def grader(c: Call, a) -> bool:
    return c.privileged or c.site.is_grader(c.user.id, a.course)


def get_grades(c: Call, assignmentids, since):
    out, warnings = [], []
    for aid in sorted(assignmentids):               # REAL-SITE.md: in id order, whatever was asked
        a = c.site.assignments.get(aid)
        if a is not None and not grader(c, a):
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "1",
                             "message": "No access rights in module context"})
            continue
        grades = [{"id": g["id"], "userid": uid, "attemptnumber": g["attemptnumber"], "timecreated": g["timecreated"],
                   "timemodified": g["timemodified"], "grader": g["grader"], "grade": g5(g["grade"])}
                  for (x, uid), g in sorted(c.site.grades.items(), key=lambda kv: kv[1]["id"])
                  if x == aid and g["timemodified"] >= since]
        if grades:
            out.append({"assignmentid": aid, "grades": grades})
        else:                                       # an unknown assignment has no grades either
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "3", "message": "No grades found"})
    return {"assignments": out, "warnings": warnings}


def store_grade(c: Call, a, userid: int, grade: float, plugindata: dict, addattempt: bool, attemptnumber: int,
                 grader_id: int | None = None):
    """assign::save_grade as 4.3 does it: the latest attempt's grade (attemptnumber -1), then
    reopen_submission_if_required: a new attempt only with "manual" + addattempt, or "untilpass"
    with a grade below the grade to pass, and never past maxattempts. Otherwise addattempt is
    ignored without a word (REAL-SITE.md)."""
    now = c.site.now()
    key = (a.id, userid)
    sub = c.site.submissions.setdefault(key, {"id": c.site.new_id(), "status": "new", "attemptnumber": 0,
                                              "timecreated": now, "timemodified": now})
    latest = sub["attemptnumber"]
    if attemptnumber not in (-1, latest):
        # An earlier attempt: Moodle shows it read-only in its grader; its grade never reaches
        # the gradebook, so the emulator keeps it apart and get_grades does not list it.
        old = next((p for p in c.site.previous_attempts.get(key, []) if p["attemptnumber"] == attemptnumber), None)
        if old is None:
            raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                        "attemptnumber => no such attempt")
        old.setdefault("grade", {}).update(grade=grade if 0 <= grade <= a.grade else None, timemodified=now)
        return
    existing = c.site.grades.get(key)
    feedback = ((plugindata or {}).get("assignfeedbackcomments_editor") or {}).get("text")
    if existing is not None and existing.get("feedback") and feedback is None:
        # Recorded: re-grading a user who has feedback without plugindata fails with a DB write error.
        raise Fault("dml_write_exception", "dmlwriteexception", "Error writing to database")
    if grade > a.grade or (grade < 0 and grade != -1):
        grade = existing["grade"] if existing else None          # silently dropped, as recorded
    record = existing or {"id": c.site.new_id(), "timecreated": now, "attemptnumber": latest}
    record.update(grade=None if grade is None or grade == -1 else grade, timemodified=now,
                  grader=grader_id or c.user.id,
                  feedback=feedback if feedback is not None else (existing or {}).get("feedback"))
    c.site.grades[key] = record
    c.site.grade_log.append((a.id, userid, record["grade"]))
    # Grading creates the user's flags (the workflowstate parameter is always sent) and, for anyone,
    # an empty submission: users who are not enrolled or do not exist included.
    c.site.flags.setdefault(key, {"locked": 0, "extensionduedate": 0})
    failed = a.gradepass > 0 and record["grade"] is not None and record["grade"] < a.gradepass
    reopen = (a.attemptreopenmethod == "manual" and addattempt) or (a.attemptreopenmethod == "untilpass" and failed)
    if reopen and (a.maxattempts == -1 or latest < a.maxattempts - 1):
        add_attempt(c, a, userid)


def add_attempt(c: Call, a, userid: int) -> None:
    """assign::add_attempt: the latest submission and its grade become history; a new, empty
    "reopened" attempt is the latest one, with no grade (so get_grades no longer lists the user)."""
    now = c.site.now()
    key = (a.id, userid)
    sub = c.site.submissions[key]
    c.site.previous_attempts.setdefault(key, []).append({**sub, "grade": c.site.grades.pop(key, None)})
    c.site.submissions[key] = {"id": c.site.new_id(), "status": "reopened", "attemptnumber": sub["attemptnumber"] + 1,
                               "timecreated": now, "timemodified": now}


def save_grade(c: Call, assignmentid, userid, grade, attemptnumber, addattempt, workflowstate, applytoall,
               plugindata, advancedgradingdata):
    a = _reachable(c, assignmentid)
    if not grader(c, a):
        raise nopermissions("Grade assignment")
    store_grade(c, a, userid, grade, plugindata, addattempt, attemptnumber)
    return None


def save_grades(c: Call, assignmentid, applytoall, grades):
    a = _reachable(c, assignmentid)
    if not grader(c, a):
        raise nopermissions("Grade assignment")
    for g in grades:
        store_grade(c, a, g["userid"], g["grade"], g["plugindata"], g["addattempt"], g["attemptnumber"])
    return None


def graded(c: Call, a, userid: int) -> bool:
    g, sub = c.site.grades.get((a.id, userid)), c.site.submissions.get((a.id, userid))
    return bool(g) and g["grade"] is not None and (sub is None or sub["timemodified"] <= g["timemodified"])


def submission_plugins(a, sub) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if a.plugin_enabled("assignsubmission", "onlinetext"):
        out.append({"type": "onlinetext", "name": "Online text",
                    "fileareas": [{"area": "submissions_onlinetext", "files": []}],
                    "editorfields": [{"name": "onlinetext", "description": "Online text submissions",
                                      "text": sub.get("onlinetext", ""), "format": 1 if "onlinetext" in sub else 0}]})
    if a.plugin_enabled("assignsubmission", "streamportal"):
        out.append({"type": "streamportal", "name": "Stream Portal video"})
    out.append({"type": "comments", "name": "Submission comments"})      # listed even when not enabled
    return out


def submission_record(a, userid: int, sub) -> dict[str, Any]:
    return {"id": sub["id"], "userid": userid, "attemptnumber": sub["attemptnumber"], "timecreated": sub["timecreated"],
            "timemodified": sub["timemodified"], "timestarted": None, "status": sub["status"], "groupid": 0}


def get_submissions(c: Call, assignmentids, status, since, before):
    out, warnings = [], []
    for aid in assignmentids:
        a = c.site.assignments.get(aid)
        if a is None:
            continue                                # no course module: silently left out
        if not grader(c, a):
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "1",
                             "message": "No access rights in module context"})
            continue
        rows = sorted(((uid, s) for (x, uid), s in c.site.submissions.items()
                       if x == aid and (not status or s["status"] == status)
                       and since <= s["timemodified"] and (not before or s["timemodified"] <= before)),
                      key=lambda r: r[1]["id"])
        if not rows:
            warnings.append({"item": "module", "itemid": aid, "warningcode": "3", "message": "No submissions found"})
        enrolled = c.site.course_users(a.course)    # the rows of users who are not enrolled are not shown
        out.append({"assignmentid": aid, "submissions": [
            {**submission_record(a, uid, s), "plugins": submission_plugins(a, s),
             "gradingstatus": "graded" if graded(c, a, uid) else "notgraded"} for uid, s in rows if uid in enrolled]})
    return {"assignments": out, "warnings": warnings}


def submissions_open(c: Call, a, userid: int) -> bool:
    now = c.site.now()
    if a.allowsubmissionsfromdate > now or (a.cutoffdate and now > a.cutoffdate):
        return False
    if userid not in c.site.course_users(a.course):
        return False
    sub = c.site.submissions.get((a.id, userid))
    return not (sub and a.submissiondrafts and sub["status"] == "submitted")


def grading_summary(c: Call, a) -> dict[str, Any]:
    students = c.site.course_users(a.course, "student")
    statuses = {u: (c.site.submissions.get((a.id, u)) or {}).get("status") for u in students}
    submitted = [u for u, st in statuses.items() if st == "submitted"]
    return {"participantcount": len(students),
            "submissiondraftscount": sum(1 for st in statuses.values() if st == "draft"),
            "submissionsenabled": True, "submissionssubmittedcount": len(submitted),
            "submissionsneedgradingcount": sum(1 for u in submitted if not graded(c, a, u)),
            "warnofungroupedusers": ""}


def last_attempt(c: Call, a, userid: int) -> dict[str, Any]:
    sub = c.site.submissions.get((a.id, userid))
    is_open = submissions_open(c, a, userid)
    out: dict[str, Any] = {}
    if sub:
        out["submission"] = {**submission_record(a, userid, sub), "assignment": a.id, "latest": 1,
                             "plugins": submission_plugins(a, sub)}
    done = graded(c, a, userid)
    out.update(submissiongroupmemberswhoneedtosubmit=[], submissionsenabled=True, locked=False, graded=done,
               canedit=is_open and userid == c.user.id, caneditowner=is_open,
               cansubmit=is_open and bool(sub) and bool(a.submissiondrafts),
               extensionduedate=(c.site.flags.get((a.id, userid)) or {}).get("extensionduedate"),
               timelimit=0, blindmarking=False, gradingstatus="graded" if done else "notgraded", usergroups=[])
    return out


def feedback_status(c: Call, a, userid: int) -> dict[str, Any] | None:
    g = c.site.grades.get((a.id, userid))
    if g is None or (g["grade"] is None and not g.get("feedback")):
        return None
    plugins = []
    if a.plugin_enabled("assignfeedback", "comments"):
        plugins.append({"type": "comments", "name": "Feedback comments",
                        "fileareas": [{"area": "feedback", "files": []}],
                        "editorfields": [{"name": "comments", "description": "Feedback comments",
                                          "text": g.get("feedback") or "", "format": 1}]})
    shown = "-" if g["grade"] is None else f"{g['grade']:.2f}&nbsp;/&nbsp;{a.grade:.2f}"
    return {"grade": {"id": g["id"], "assignment": a.id, "userid": userid, "attemptnumber": g["attemptnumber"],
                      "timecreated": g["timecreated"], "timemodified": g["timemodified"], "grader": g["grader"],
                      "grade": g5(g["grade"])},
            "gradefordisplay": shown, "gradeddate": g["timemodified"], "plugins": plugins}


def previous_attempt(a, userid: int, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"attemptnumber": p["attemptnumber"], "submission": submission_record(a, userid, p)}
    g = p.get("grade")
    if g:
        out["grade"] = {"id": g["id"], "assignment": a.id, "userid": userid, "attemptnumber": g["attemptnumber"],
                        "timecreated": g["timecreated"], "timemodified": g["timemodified"], "grader": g["grader"],
                        "grade": g5(g["grade"])}
    return out


def submission_status(c: Call, assignid, userid, groupid):
    a = _reachable(c, assignid)
    userid = userid or c.user.id
    if userid not in c.site.users:
        raise missing("user")
    viewer = grader(c, a)
    # can_view_submission: only an enrolled user's, and another's only with grading rights.
    if userid not in c.site.course_users(a.course) or not (viewer or userid == c.user.id):
        raise Fault("required_capability_exception", "nopermission", "error/nopermission")
    out: dict[str, Any] = {}
    if viewer:
        out["gradingsummary"] = grading_summary(c, a)
    if "student" in c.site.roles(userid, a.course):  # mod/assign:viewownsubmissionsummary
        out["lastattempt"] = last_attempt(c, a, userid)
    if feedback := feedback_status(c, a, userid):
        out["feedback"] = feedback
    if earlier := c.site.previous_attempts.get((a.id, userid)):
        # Contract: only when there is more than one attempt, newest first.
        out["previousattempts"] = [previous_attempt(a, userid, p) for p in reversed(earlier)]
    out["assignmentdata"] = {"attachments": {"intro": []}}
    out["warnings"] = []
    return out


def user_flags(c: Call, assignmentids):
    return {"assignments": [], "warnings": []}


def set_user_flags(c: Call, assignmentid, userflags):
    a = _reachable(c, assignmentid)
    out = []
    for f in userflags:
        uid = int(f.get("userid", 0))
        c.site.flags.setdefault((a.id, uid), {"locked": 0, "extensionduedate": 0}).update(
            {k: int(v) for k, v in f.items() if k in ("locked", "extensionduedate")})
        out.append({"id": c.site.new_id(), "userid": uid})
    return out


def save_submission(c: Call, assignmentid, plugindata):
    a = _reachable(c, assignmentid)
    # Recorded: whenever submissions are not open to the caller (not enrolled, already submitted
    # with drafts on), Moodle answers with this warning, before any capability check.
    if not submissions_open(c, a, c.user.id):
        return [{"item": "The due date for this assignment has now passed", "itemid": a.id,
                 "warningcode": "couldnotsavesubmission", "message": "Could not save submission."}]
    if "student" not in c.site.roles(c.user.id, a.course):
        raise nopermissions("Submit assignment")
    now = c.site.now()
    sub = c.site.submissions.setdefault((a.id, c.user.id), {"id": c.site.new_id(), "attemptnumber": 0,
                                                            "timecreated": now, "timemodified": now})
    text = (plugindata.get("onlinetext_editor") or {}).get("text")
    if text is not None:
        sub["onlinetext"] = text
    sub.update(status="draft" if a.submissiondrafts else "submitted", timemodified=now)
    return []


def submit_for_grading(c: Call, assignmentid, acceptsubmissionstatement):
    a = _reachable(c, assignmentid)
    if "student" not in c.site.roles(c.user.id, a.course):
        raise nopermissions("Submit assignment")
    sub = c.site.submissions.get((a.id, c.user.id))
    if sub is None or sub["status"] == "submitted" or not submissions_open(c, a, c.user.id):
        # Recorded: the notices never reach the warning (assign passes them by value).
        return [{"item": f"User id: {c.user.id}, Assignment id: {a.id} Notices:", "itemid": a.id,
                 "warningcode": "couldnotsubmitforgrading", "message": "Could not submit assignment for grading."}]
    sub.update(status="submitted", timemodified=c.site.now())
    return []


def update_grades(c: Call, source, courseid, component, activityid, itemnumber, grades, itemdetails):
    if not c.can("moodle/grade:edit", courseid):
        raise nopermissions("Edit grades")
    a = next((x for x in c.site.assignments.values() if x.cmid == activityid), None)
    if a is None:
        raise Fault("dml_missing_record_exception", "invalidrecordunknown", "Can't find data record in database.")
    for g in grades:
        store_grade(c, a, g["studentid"], g["grade"], {"assignfeedbackcomments_editor": {"text": g.get("str_feedback") or ""}}, False, -1)
    return 0


# --- IOMAD ----------------------------------------------------------------------------------------

def company_record(co) -> dict[str, Any]:
    return {"id": co.id, "name": co.name, "shortname": co.shortname, "code": co.code, "address": None,
            "city": co.city, "region": None, "country": co.country, "maildisplay": 2,
            "mailformat": 1, "maildigest": 0, "autosubscribe": 1, "trackforums": 0, "htmleditor": 1,
            "screenreader": 0, "timezone": "99", "lang": "en", "suspended": co.suspended, "ecommerce": 0,
            "parentid": 0, "customcss": "", "validto": None, "suspendafter": 0, "companyterminated": 0,
            "theme": "", "hostname": "", "maxusers": 0, "maincolor": "", "headingcolor": "",
            "linkcolor": "", "custom1": co.custom1, "custom2": co.custom2, "custom3": co.custom3}


def like(pattern: str, value: str) -> bool:
    """SQL LIKE, case-insensitive: % is the only wildcard the IOMAD documentation mentions."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("%"))), value, re.IGNORECASE | re.DOTALL) is not None


COMPANY_EXACT = {"id", "suspended"}
COMPANY_LIKE = {"name", "shortname", "code", "city", "country"}


def unsupported(key: str) -> dict[str, Any]:
    return {"item": key, "warningcode": "invalidfieldparameter",
            "message": f"The search key '{key}' is not supported, look at the web service documentation"}


def get_companies(c: Call, criteria):
    if not c.can("block/iomad_company_admin:company_add"):
        raise nopermissions("Add a company")
    companies = sorted(c.site.companies.values(), key=lambda x: x.id)
    warnings, used = [], set()
    for crit in criteria:
        key, value = crit["key"], crit["value"]
        if key in used:
            raise Fault("moodle_exception", "keyalreadyset", "error/keyalreadyset",
                        f"The key {key} can only be sent once")
        used.add(key)
        if key in COMPANY_EXACT:
            companies = [x for x in companies if str(getattr(x, key)) == value]
        elif key in COMPANY_LIKE:
            companies = [x for x in companies if like(value, str(getattr(x, key)))]
        elif key in ("timezone", "lang"):
            companies = [x for x in companies if company_record(x)[key] == value]
        else:
            warnings.append(unsupported(key))
    return {"companies": [company_record(x) for x in companies], "warnings": warnings}


# The recorded answer of create_companies: get_companies' keys without code, with postcode.
CREATED_KEYS = ["id", "name", "shortname", "address", "city", "region", "postcode", "country", "maildisplay",
                "mailformat", "maildigest", "autosubscribe", "trackforums", "htmleditor", "screenreader", "timezone",
                "lang", "suspended", "ecommerce", "parentid", "customcss", "validto", "suspendafter",
                "companyterminated", "theme", "hostname", "maxusers", "maincolor", "headingcolor", "linkcolor",
                "custom1", "custom2", "custom3"]


def create_companies(c: Call, companies):
    if not c.can("block/iomad_company_admin:company_add"):
        raise nopermissions("Add a company")
    out = []
    for new in companies:
        for key in ("name", "shortname"):
            if any(getattr(x, key) == new[key] for x in c.site.companies.values()):
                raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                            f"Company {key} {new[key]} is already being used")
        cid = max(c.site.companies, default=0) + 1
        co = Company(cid, new["name"], new["shortname"], new["code"] or "", new["city"], new["country"],
                     departmentid=max((x.departmentid for x in c.site.companies.values()), default=0) + 1)
        c.site.companies[cid] = co
        rec = company_record(co) | {"postcode": None}
        out.append({k: rec[k] for k in CREATED_KEYS})
    return out


def edit_companies(c: Call, companies):
    if not c.can("block/iomad_company_admin:company_add"):
        raise nopermissions("Add a company")
    for change in companies:
        co = c.site.companies.get(change["id"])
        if co is None:
            raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                        f"Company id={change['id']} does not exist")
        for key, value in change.items():
            if value is not None and hasattr(co, key):
                setattr(co, key, value)
    return True


def get_company_courses(c: Call, criteria):
    if not c.can("block/iomad_company_admin:viewcourses"):
        raise nopermissions("View company courses")
    wanted = criteria[0]["companyid"] if criteria else 0
    out = []
    for co in sorted(c.site.companies.values(), key=lambda x: x.id):
        if wanted and co.id != wanted:
            continue
        rec = {k: v for k, v in company_record(co).items() if k in ("id", "name", "shortname", "code", "address", "city",
                                                                   "region")}
        rec["postcode"] = None
        rec.update(country=co.country, custom1=co.custom1, custom2=co.custom2, custom3=co.custom3)
        rec["courses"] = [{"id": cid, "fullname": c.site.courses[cid].fullname, "customfields": []}
                          for cid in c.site.company_courses.get(co.id, [])]
        out.append(rec)
    return {"companies": out, "warnings": []}


def user_companies(c: Call, userid):
    if not c.can("block/iomad_company_admin:company_view_all"):
        raise Fault("required_capability_exception", "nopermissions",
                    "The IOMAD administrator has not given you permission to do this.")
    if userid not in c.site.users:
        raise Fault("dml_missing_record_exception", "invaliduser", "Invalid user")
    ids = sorted({cid for (u, cid) in c.site.company_users if u == userid})
    if ids and c.site.iomad_user_companies_broken:
        # IOMAD 4.x (4.3.7 on the real site): fails for anyone in a company (REAL-SITE.md,
        # "Roles and IOMAD"); only users in no company get an answer.
        raise missing("company_users")
    return {"companies": [{"id": cid, "name": c.site.companies[cid].name,
                           "departments": [{"id": c.site.companies[cid].departmentid,
                                            "name": c.site.companies[cid].name}]} for cid in ids]}


def department_record(co) -> dict[str, Any]:
    return {"id": co.departmentid, "name": co.name, "shortname": co.shortname, "company": co.id, "parent": 0}


def departments(c: Call, criteria):
    if not c.can("block/iomad_company_admin:edit_all_departments"):
        raise nopermissions("Edit all company departments")
    found = [department_record(co) for co in sorted(c.site.companies.values(), key=lambda x: x.id)]
    warnings = []
    for crit in criteria:
        key, value = crit["key"], crit["value"]
        if key in ("id", "company", "parent"):
            found = [d for d in found if str(d[key]) == value]
        elif key in ("name", "shortname"):
            found = [d for d in found if like(value, d[key])]
        else:
            warnings.append(unsupported(key))
    return {"departments": found, "warnings": warnings}


def department_users(c: Call, departmentids):
    if not c.can("block/iomad_company_admin:editusers"):
        raise nopermissions("Edit users in own company")
    out = []
    for (uid, cid) in sorted(c.site.company_users, key=lambda k: (k[1], k[0])):
        co, u = c.site.companies[cid], c.site.users[uid]
        if co.departmentid in departmentids:
            out.append({"id": u.id, "firstname": u.firstname, "lastname": u.lastname, "email": u.email,
                        "companyid": cid, "departmentid": co.departmentid})
    return {"users": out}


# --- the companion plugin ---------------------------------------------------------------------

def record_video(c: Call, assignmentid, userid, streamuid, portalsubmissionid, status, durationseconds, sizebytes,
                 uploadedat, deleteafter, submit):
    a = _assignment(c, assignmentid)
    if not (c.can("assignsubmission/streamportal:recordvideo", a.course)
            and c.can("mod/assign:editothersubmission", a.course)):
        raise nopermissions("Record Stream videos for students")
    if userid not in c.site.users:
        raise Fault("dml_missing_record_exception", "invaliduser", "Invalid user")
    now = c.site.now()
    existing = c.site.videos.get(streamuid)
    if existing and (existing["userid"] != userid or existing["assignmentid"] != assignmentid):
        raise Fault("moodle_exception", "uidconflict", "This video is already recorded for another submission")
    sub = c.site.submissions.setdefault((a.id, userid), {"id": c.site.new_id(), "attemptnumber": 0, "status": "new",
                                                         "timecreated": now, "timemodified": now})
    warnings = []
    if submit and sub["status"] != "submitted":
        if a.cutoffdate and now > a.cutoffdate:
            warnings.append({"item": "submission", "itemid": assignmentid, "warningcode": "submissionsclosed",
                             "message": "Submissions closed"})
        else:
            sub.update(status="submitted", timemodified=now)
    record = existing or {"recordid": c.site.new_id(), "timecreated": now, "readyat": 0}
    record.update(assignmentid=assignmentid, cmid=a.cmid, courseid=a.course, userid=userid,
                  submissionid=sub["id"], attemptnumber=sub["attemptnumber"], streamuid=streamuid,
                  portalsubmissionid=portalsubmissionid, status=status, durationseconds=durationseconds,
                  sizebytes=sizebytes, uploadedat=uploadedat, deleteafter=deleteafter, timemodified=now)
    if status == "ready" and not record["readyat"]:
        record["readyat"] = now         # the plugin's record_video (moodle/…/record_video.php) does this
    c.site.videos[streamuid] = record
    return {"recordid": record["recordid"], "submissionid": sub["id"], "attemptnumber": sub["attemptnumber"],
            "submissionstatus": sub["status"], "created": existing is None, "timemodified": now, "warnings": warnings}


VIDEO_KEYS = ("recordid", "assignmentid", "cmid", "courseid", "userid", "submissionid", "attemptnumber", "streamuid",
              "portalsubmissionid", "status", "durationseconds", "sizebytes", "uploadedat", "readyat", "deleteafter",
              "timecreated", "timemodified")


def get_videos(c: Call, assignmentids, userid, since, includedeleted):
    videos, warnings = [], []
    for aid in assignmentids:
        a = c.site.assignments.get(aid)
        seeall = a is not None and grader(c, a)
        own = a is not None and "student" in c.site.roles(c.user.id, a.course)
        if not (seeall or own):
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "1",
                             "message": "No access rights in module context"})
            continue
        for v in c.site.videos.values():
            if v["assignmentid"] != aid or v["timemodified"] < since:
                continue
            if (not seeall and v["userid"] != c.user.id) or (seeall and userid and v["userid"] != userid):
                continue
            if not includedeleted and v["status"] in ("deleted", "expired"):
                continue
            videos.append({k: v[k] for k in VIDEO_KEYS})
    return {"videos": videos, "warnings": warnings}


def set_video_status(c: Call, streamuid, status, durationseconds, readyat):
    v = c.site.videos.get(streamuid)
    if v is None:
        raise Fault("moodle_exception", "uidnotfound", "No video is recorded with this id")
    if not c.can("assignsubmission/streamportal:recordvideo", v["courseid"]):
        raise nopermissions("Record Stream videos for students")
    v["status"] = status
    if durationseconds:
        v["durationseconds"] = durationseconds
    if readyat:
        v["readyat"] = readyat
    v["timemodified"] = c.site.now()
    return {"recordid": v["recordid"], "status": status, "timemodified": v["timemodified"]}


def user_context(c: Call, userid):
    if not c.can("assignsubmission/streamportal:readusercontext"):
        raise nopermissions("Read portal user context")
    u = c.site.users.get(userid)
    if u is None:
        raise Fault("dml_missing_record_exception", "invaliduser", "Invalid user")
    companies = [{"companyid": cid, "name": c.site.companies[cid].name, "shortname": c.site.companies[cid].shortname,
                  "managertype": t, "departmentid": c.site.companies[cid].departmentid, "educator": 0,
                  "suspended": bool(c.site.companies[cid].suspended)}
                 for (uid, cid), t in sorted(c.site.company_users.items()) if uid == userid]
    return {"userid": u.id, "issiteadmin": u.siteadmin, "iomad": True, "companies": companies}


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "core_webservice_get_site_info": site_info, "core_user_get_users_by_field": users_by_field,
    "core_enrol_get_users_courses": users_courses, "core_enrol_get_enrolled_users": enrolled_users,
    "core_course_get_course_module": course_module, "core_course_get_courses_by_field": courses_by_field,
    "core_course_get_contents": course_contents, "mod_assign_get_assignments": get_assignments,
    "mod_assign_get_grades": get_grades, "mod_assign_get_submissions": get_submissions,
    "mod_assign_get_submission_status": submission_status, "mod_assign_get_user_flags": user_flags,
    "mod_assign_set_user_flags": set_user_flags, "mod_assign_save_grade": save_grade,
    "mod_assign_save_grades": save_grades, "mod_assign_save_submission": save_submission,
    "mod_assign_submit_for_grading": submit_for_grading, "core_grades_update_grades": update_grades,
    "block_iomad_company_admin_get_companies": get_companies,
    "block_iomad_company_admin_create_companies": create_companies,
    "block_iomad_company_admin_edit_companies": edit_companies,
    "block_iomad_company_admin_get_company_courses": get_company_courses,
    "block_iomad_company_admin_get_user_companies": user_companies,
    "block_iomad_company_admin_get_departments": departments,
    "block_iomad_company_admin_get_department_users": department_users,
    "assignsubmission_streamportal_record_video": record_video,
    "assignsubmission_streamportal_get_videos": get_videos,
    "assignsubmission_streamportal_set_video_status": set_video_status,
    "assignsubmission_streamportal_get_user_context": user_context,
}
