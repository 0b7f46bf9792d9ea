"""The web-service functions, answering with the declared structures (keys in declaration order,
optional keys left out, grades as five-decimal strings) and the recorded errors."""
from __future__ import annotations

from typing import Any, Callable

from .site import ROLE_IDS, Site, User


class Fault(Exception):
    """A Moodle exception, sent as the JSON error envelope with HTTP 200."""

    def __init__(self, exception: str, errorcode: str | None, message: str, debuginfo: str | None = None):
        super().__init__(message)
        self.exception, self.errorcode, self.message, self.debuginfo = exception, errorcode, message, debuginfo


def nopermissions(what: str) -> Fault:
    return Fault("required_capability_exception", "nopermissions",
                 f"Sorry, but you do not currently have permissions to do that ({what}).")


def iomad_denied() -> Fault:
    return Fault("required_capability_exception", "nopermissions",
                 "The IOMAD administrator has not given you permission to do this.")


def course_context(courseid: int) -> Fault:
    return Fault("moodle_exception", "errorcoursecontextnotvalid",
                 f"You cannot execute functions in the course context (course id:{courseid}). The context "
                 "error message was: Course or activity not accessible.")


def missing(table: str) -> Fault:
    return Fault("dml_missing_record_exception", "invalidrecord", f"Can't find data record in database table {table}.")


SERVICE_USERNAMES = {"wsuser", "streamportal"}


class Call:
    """One web-service call: the site, the token's user, the site URL."""

    def __init__(self, site: Site, user: User, siteurl: str, service: str):
        self.site, self.user, self.siteurl, self.service = site, user, siteurl, service

    @property
    def privileged(self) -> bool:
        """Site admin or the portal's service account (system-level capabilities)."""
        return self.user.siteadmin or self.user.username in SERVICE_USERNAMES

    def manager_companies(self) -> set[int]:
        return {c for (u, c), t in self.site.company_users.items() if u == self.user.id and t in (1, 2)}

    def may_see_course(self, courseid: int) -> bool:
        if self.privileged or self.site.roles(self.user.id, courseid):
            return True
        company = self.site.course_company(courseid)
        return company is not None and company in self.manager_companies()

    def picture(self, size: str) -> str:
        return f"{self.siteurl}/theme/image.php/boost/core/1795574573/u/{size}"


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
            "userissiteadmin": u.siteadmin, "theme": "boost", "limitconcurrentlogins": 0}


def user_record(c: Call, u: User) -> dict[str, Any]:
    full = c.privileged or u.id == c.user.id
    out: dict[str, Any] = {"id": u.id}
    if full:
        out.update(username=u.username, firstname=u.firstname, lastname=u.lastname)
    out["fullname"] = u.fullname
    if full:
        out.update(email=u.email, department="", idnumber=u.username.upper(), firstaccess=0, lastaccess=0,
                   auth="manual", suspended=u.suspended,
                   confirmed=True, lang=u.lang, theme="", timezone="99", mailformat=1)
    out.update(profileimageurlsmall=c.picture("f2"), profileimageurl=c.picture("f1"))
    return out


def users_by_field(c: Call, field, values):
    if field not in ("id", "idnumber", "username", "email"):
        raise Fault("coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: "
                    "invalid field parameter")
    out = []
    for u in sorted(c.site.users.values(), key=lambda u: u.id):
        key = {"id": str(u.id), "username": u.username, "email": u.email, "idnumber": u.username.upper()}[field]
        if key in values:
            out.append(user_record(c, u))
    return out


def course_record(course, usercount: int | None = None, extra: dict | None = None):
    out = {"id": course.id, "shortname": course.shortname, "fullname": course.fullname, "displayname": course.fullname}
    if usercount is not None:
        out["enrolledusercount"] = usercount
    out.update(idnumber="", visible=course.visible, summary=course.summary, summaryformat=1, format="topics",
               courseimage=f"/pluginfile.php/{course.id}/course/generated/course.svg",
               showgrades=True, lang="", enablecompletion=True, completionhascriteria=False,
               completionusertracked=True, category=course.category, progress=None, completed=False,
               startdate=course.startdate, enddate=course.enddate, marker=0, lastaccess=None, isfavourite=False,
               hidden=False, overviewfiles=[], showactivitydates=True, showcompletionconditions=True,
               timemodified=1730000000)
    return out


def users_courses(c: Call, userid, returnusercount):
    if userid not in c.site.users:
        return []
    ids = sorted({cid for (u, cid) in c.site.enrolments if u == userid}, reverse=True)
    count = lambda cid: sum(1 for (u, x) in c.site.enrolments if x == cid)
    return [course_record(c.site.courses[cid], count(cid) if returnusercount else None) for cid in ids]


def enrolled_users(c: Call, courseid, options):
    if courseid not in c.site.courses:
        raise missing("course")
    if not c.may_see_course(courseid):
        raise course_context(courseid)
    opts = {o["name"]: o["value"] for o in options}
    cap = opts.get("withcapability")
    fields = set(opts["userfields"].split(",")) | {"id", "fullname"} if opts.get("userfields") else None
    out = []
    for (uid, cid), roles in sorted(c.site.enrolments.items()):
        if cid != courseid:
            continue
        if cap == "mod/assign:grade" and not c.site.is_grader(uid, cid):
            continue
        if cap == "mod/assign:submit" and "student" not in roles:
            continue
        u = c.site.users[uid]
        rec = {"id": u.id}
        if c.privileged or uid == c.user.id:
            rec["username"] = u.username
        rec.update(firstname=u.firstname, lastname=u.lastname, fullname=u.fullname, email=u.email, department="",
                   idnumber=u.username.upper(), firstaccess=0, lastaccess=0, lastcourseaccess=0,
                   profileimageurlsmall=c.picture("f2"), profileimageurl=c.picture("f1"),
                   roles=[{"roleid": ROLE_IDS.get(r, 5), "name": "" if r in ("student", "teacher", "editingteacher") else r,
                           "shortname": r, "sortorder": 0} for r in roles],
                   enrolledcourses=[{"id": x, "fullname": c.site.courses[x].fullname,
                                     "shortname": c.site.courses[x].shortname}
                                    for (v, x) in sorted(c.site.enrolments) if v == uid])
        out.append({k: v for k, v in rec.items() if fields is None or k in fields})
    return out


def course_module(c: Call, cmid):
    a = next((a for a in c.site.assignments.values() if a.cmid == cmid), None)
    if a is None:
        raise Fault("dml_missing_record_exception", "invalidrecordunknown", "Can't find data record in database.")
    if not c.may_see_course(a.course):
        raise Fault("require_login_exception", "requireloginerror", "Course or activity not accessible.")
    return {"cm": {"id": a.cmid, "course": a.course, "module": 1, "name": a.name, "modname": "assign",
                   "instance": a.id, "section": a.course * 10, "sectionnum": 1, "groupmode": 0, "groupingid": 0,
                   "completion": 0, "downloadcontent": 1}, "warnings": []}


def courses_by_field(c: Call, field, value):
    courses = sorted(c.site.courses.values(), key=lambda x: x.id)
    if field == "id":
        courses = [x for x in courses if str(x.id) == value]
    elif field == "ids":
        wanted = set(value.split(","))
        courses = [x for x in courses if str(x.id) in wanted]
    elif field == "shortname":
        courses = [x for x in courses if x.shortname == value]
    return {"courses": [{"id": x.id, "fullname": x.fullname, "displayname": x.fullname, "shortname": x.shortname,
                         "categoryid": x.category, "categoryname": "Miscellaneous", "sortorder": 10000 + x.id,
                         "summary": x.summary, "summaryformat": 1, "summaryfiles": [], "overviewfiles": [],
                         "showactivitydates": True, "showcompletionconditions": True, "contacts": [],
                         "enrollmentmethods": ["manual"], "idnumber": "", "format": "topics", "showgrades": 1,
                         "newsitems": 5, "startdate": x.startdate, "enddate": x.enddate, "maxbytes": 0,
                         "showreports": 0, "visible": x.visible, "groupmode": 0, "groupmodeforce": 0,
                         "defaultgroupingid": 0, "enablecompletion": 0, "completionnotify": 0, "lang": "",
                         "theme": "", "marker": 0, "legacyfiles": 0, "calendartype": "", "timecreated": 1730000000,
                         "timemodified": 1730000000, "requested": 0, "cacherev": 1730000000, "filters": [],
                         "courseformatoptions": []} for x in courses], "warnings": []}


def course_contents(c: Call, courseid, options):
    if courseid not in c.site.courses:
        raise missing("course")
    if not c.may_see_course(courseid):
        raise course_context(courseid)
    modules = [{"id": a.cmid, "name": a.name, "instance": a.id, "modname": "assign", "visible": 1,
                "url": f"{c.siteurl}/mod/assign/view.php?id={a.cmid}"}
               for a in c.site.assignments.values() if a.course == courseid]
    return [{"id": courseid * 10, "name": "General", "visible": 1, "summary": "", "summaryformat": 1,
             "section": 0, "hiddenbynumsections": 0, "uservisible": True, "modules": modules}]


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


def get_assignments(c: Call, courseids, capabilities, includenotenrolledcourses):
    warnings = []
    if not courseids:
        courseids = sorted({cid for (u, cid) in c.site.enrolments if u == c.user.id})
    courses = []
    for cid in courseids:
        course = c.site.courses.get(cid)
        enrolled = bool(c.site.roles(c.user.id, cid))
        if course is None:
            warnings.append({"item": "course", "itemid": cid, "warningcode": "2",
                             "message": "User is not enrolled or does not have requested capability"})
            continue
        if not c.may_see_course(cid):
            warnings.append({"item": "course", "itemid": cid, "warningcode": "1",
                             "message": "No access rights in course context"})
            continue
        if not enrolled and not includenotenrolledcourses:
            warnings.append({"item": "course", "itemid": cid, "warningcode": "2",
                             "message": "User is not enrolled or does not have requested capability"})
            continue
        courses.append({"id": course.id, "fullname": course.fullname, "shortname": course.shortname,
                        "timemodified": 1730000000,
                        "assignments": [assignment_record(a) for a in sorted(c.site.assignments.values(), key=lambda a: a.id)
                                        if a.course == cid]})
    return {"courses": courses, "warnings": warnings}


def _assignment(c: Call, assignmentid):
    a = c.site.assignments.get(assignmentid)
    if a is None:
        raise missing("assign")
    return a


def get_grades(c: Call, assignmentids, since):
    out, warnings = [], []
    for aid in assignmentids:
        a = c.site.assignments.get(aid)
        if a is None or not (c.privileged or c.site.is_grader(c.user.id, a.course)):
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "1",
                             "message": "No access rights in module context"})
            continue
        grades = [{"id": g["id"], "userid": uid, "attemptnumber": g["attemptnumber"], "timecreated": g["timecreated"],
                   "timemodified": g["timemodified"], "grader": g["grader"], "grade": g5(g["grade"])}
                  for (x, uid), g in sorted(c.site.grades.items()) if x == aid and g["timemodified"] >= since]
        if grades:
            out.append({"assignmentid": aid, "grades": grades})
        else:
            warnings.append({"item": "assignment", "itemid": aid, "warningcode": "3", "message": "No grades found"})
    return {"assignments": out, "warnings": warnings}


def _store_grade(c: Call, a, userid: int, grade: float, plugindata: dict, addattempt: bool, attemptnumber: int):
    now = c.site.now()
    key = (a.id, userid)
    existing = c.site.grades.get(key)
    feedback = ((plugindata or {}).get("assignfeedbackcomments_editor") or {}).get("text")
    if existing is not None and existing.get("feedback") and feedback is None:
        # Recorded: re-grading a user who has feedback without plugindata fails with a DB write error.
        raise Fault("dml_write_exception", "dmlwriteexception", "Error writing to database")
    if grade > a.grade or (grade < 0 and grade != -1):
        grade = existing["grade"] if existing else None          # silently dropped, as recorded
    record = existing or {"id": c.site.new_id(), "timecreated": now, "attemptnumber": 0}
    record.update(grade=None if grade is None or grade == -1 else grade, timemodified=now, grader=c.user.id,
                  feedback=feedback if feedback is not None else (existing or {}).get("feedback"))
    c.site.grades[key] = record
    c.site.grade_log.append((a.id, userid, record["grade"]))
    sub = c.site.submissions.setdefault(key, {"id": c.site.new_id(), "status": "new", "attemptnumber": 0,
                                              "timecreated": now, "timemodified": now})
    if addattempt:
        sub.update(status="reopened", attemptnumber=sub["attemptnumber"] + 1, timemodified=now)


def save_grade(c: Call, assignmentid, userid, grade, attemptnumber, addattempt, workflowstate, applytoall,
               plugindata, advancedgradingdata):
    a = _assignment(c, assignmentid)
    if not (c.privileged or c.site.is_grader(c.user.id, a.course)):
        raise nopermissions("Grade assignment")
    _store_grade(c, a, userid, grade, plugindata, addattempt, attemptnumber)
    return None


def save_grades(c: Call, assignmentid, applytoall, grades):
    a = _assignment(c, assignmentid)
    if not (c.privileged or c.site.is_grader(c.user.id, a.course)):
        raise nopermissions("Grade assignment")
    for g in grades:
        _store_grade(c, a, g["userid"], g["grade"], g["plugindata"], g["addattempt"], g["attemptnumber"])
    return None


def get_submissions(c: Call, assignmentids, status, since, before):
    out, warnings = [], []
    for aid in assignmentids:
        a = c.site.assignments.get(aid)
        if a is None or not (c.privileged or c.site.is_grader(c.user.id, a.course)):
            warnings.append({"item": "module", "itemid": aid, "warningcode": "1",
                             "message": "No access rights in module context"})
            continue
        subs = [{"id": s["id"], "userid": uid, "attemptnumber": s["attemptnumber"], "timecreated": s["timecreated"],
                 "timemodified": s["timemodified"], "timestarted": None, "status": s["status"], "groupid": 0,
                 "assignment": aid, "latest": 1, "plugins": [], "gradingstatus": "graded" if (aid, uid) in c.site.grades else "notgraded"}
                for (x, uid), s in sorted(c.site.submissions.items()) if x == aid and (not status or s["status"] == status)]
        out.append({"assignmentid": aid, "submissions": subs})
    return {"assignments": out, "warnings": warnings}


def submission_status(c: Call, assignid, userid, groupid):
    a = _assignment(c, assignid)
    userid = userid or c.user.id
    if userid != c.user.id and not (c.privileged or c.site.is_grader(c.user.id, a.course)):
        raise Fault("required_capability_exception", "nopermission", "Sorry, but you do not currently have "
                    "permissions to do that (View grades).")
    sub = c.site.submissions.get((a.id, userid))
    grade = c.site.grades.get((a.id, userid))
    out: dict[str, Any] = {"lastattempt": {
        "submission": {"id": sub["id"], "userid": userid, "attemptnumber": sub["attemptnumber"],
                       "timecreated": sub["timecreated"], "timemodified": sub["timemodified"], "timestarted": None,
                       "status": sub["status"], "groupid": 0, "assignment": a.id, "latest": 1, "plugins": []}
        if sub else None,
        "submissiongroupmemberswhoneedtosubmit": [], "submissionsenabled": True, "locked": False,
        "graded": bool(grade), "canedit": userid == c.user.id, "caneditowner": True, "cansubmit": userid == c.user.id,
        "extensionduedate": None, "timelimit": 0, "blindmarking": False, "gradingstatus": "graded" if grade else "notgraded",
        "usergroups": []}}
    if out["lastattempt"]["submission"] is None:
        del out["lastattempt"]["submission"]
    if grade:
        out["feedback"] = {"grade": {"id": grade["id"], "assignment": a.id, "userid": userid,
                                     "attemptnumber": grade["attemptnumber"], "timecreated": grade["timecreated"],
                                     "timemodified": grade["timemodified"], "grader": grade["grader"],
                                     "grade": g5(grade["grade"])},
                           "gradefordisplay": f"{grade['grade'] or 0:.2f} / {a.grade:.2f}", "gradeddate": grade["timemodified"],
                           "plugins": [{"type": "comments", "name": "Feedback comments", "editorfields": [
                               {"name": "comments", "description": "Feedback comments", "text": grade.get("feedback") or "",
                                "format": 1}]}]}
    out["assignmentdata"] = {"activity": "", "activityformat": 1}
    out["warnings"] = []
    return out


def user_flags(c: Call, assignmentids):
    return {"assignments": [], "warnings": []}


def set_user_flags(c: Call, assignmentid, userflags):
    _assignment(c, assignmentid)
    return [{"id": c.site.new_id(), "userid": int(f.get("userid", 0))} for f in userflags]


def save_submission(c: Call, assignmentid, plugindata):
    a = _assignment(c, assignmentid)
    if "student" not in c.site.roles(c.user.id, a.course):
        raise nopermissions("Submit assignment")
    now = c.site.now()
    sub = c.site.submissions.setdefault((a.id, c.user.id), {"id": c.site.new_id(), "attemptnumber": 0,
                                                            "timecreated": now, "timemodified": now})
    sub.update(status="draft" if a.submissiondrafts else "submitted", timemodified=now)
    return []


def submit_for_grading(c: Call, assignmentid, acceptsubmissionstatement):
    a = _assignment(c, assignmentid)
    sub = c.site.submissions.get((a.id, c.user.id))
    if sub is None:
        return [{"item": "assign", "itemid": a.id, "warningcode": "couldnotsubmitforgrading",
                 "message": "Could not submit assignment for grading"}]
    sub.update(status="submitted", timemodified=c.site.now())
    return []


def update_grades(c: Call, source, courseid, component, activityid, itemnumber, grades, itemdetails):
    if not c.privileged:
        raise nopermissions("Edit grades")
    a = next((x for x in c.site.assignments.values() if x.cmid == activityid), None)
    if a is None:
        raise Fault("dml_missing_record_exception", "invalidrecordunknown", "Can't find data record in database.")
    for g in grades:
        _store_grade(c, a, g["studentid"], g["grade"], {"assignfeedbackcomments_editor": {"text": g.get("str_feedback") or ""}}, False, -1)
    return 0


# --- IOMAD ----------------------------------------------------------------------------------------

def company_record(co) -> dict[str, Any]:
    return {"id": co.id, "name": co.name, "shortname": co.shortname, "code": co.code, "address": None,
            "city": co.city, "region": None, "country": co.country, "maildisplay": 2,
            "mailformat": 1, "maildigest": 0, "autosubscribe": 1, "trackforums": 0, "htmleditor": 1,
            "screenreader": 0, "timezone": "99", "lang": "en", "suspended": co.suspended, "ecommerce": 0,
            "parentid": 0, "customcss": "", "validto": None, "suspendafter": 0, "companyterminated": 0,
            "theme": "", "hostname": "", "maxusers": 0, "maincolor": "", "headingcolor": "",
            "linkcolor": "", "custom1": None, "custom2": None, "custom3": None}


def get_companies(c: Call, criteria):
    if not c.privileged:
        raise iomad_denied()
    companies = sorted(c.site.companies.values(), key=lambda x: x.id)
    warnings = []
    for crit in criteria:
        key, value = crit["key"], crit["value"]
        if key in ("id", "suspended"):
            companies = [x for x in companies if str(getattr(x, key)) == value]
        elif key in ("name", "shortname", "code", "city"):
            companies = [x for x in companies if value.lower() in str(getattr(x, key)).lower()]
        else:
            warnings.append({"item": key, "warningcode": "invalidfieldparameter",
                             "message": f"The search key '{key}' is not supported, look at the web service documentation"})
    return {"companies": [company_record(x) for x in companies], "warnings": warnings}


def get_company_courses(c: Call, criteria):
    if not c.privileged:
        raise iomad_denied()
    wanted = criteria[0]["companyid"] if criteria else 0
    out = []
    for co in sorted(c.site.companies.values(), key=lambda x: x.id):
        if wanted and co.id != wanted:
            continue
        rec = {k: v for k, v in company_record(co).items() if k in ("id", "name", "shortname", "code", "address", "city",
                                                                   "region", "country", "custom1", "custom2", "custom3")}
        rec["postcode"] = None
        rec["courses"] = [{"id": cid, "fullname": c.site.courses[cid].fullname, "customfields": []}
                          for cid in c.site.company_courses.get(co.id, [])]
        out.append(rec)
    return {"companies": out, "warnings": []}


def user_companies(c: Call, userid):
    ids = sorted({cid for (u, cid) in c.site.company_users if u == userid})
    return {"companies": [{"id": cid, "name": c.site.companies[cid].name,
                           "departments": [{"id": cid * 10, "name": c.site.companies[cid].name}]} for cid in ids]}


def departments(c: Call, criteria):
    if not c.privileged:
        raise iomad_denied()
    return {"departments": [{"id": co.id * 10, "name": co.name, "shortname": co.shortname, "company": co.id,
                             "parent": 0} for co in c.site.companies.values()], "warnings": []}


def department_users(c: Call, departmentids):
    if not c.privileged:
        raise iomad_denied()
    users = [{"userid": u, "departmentid": cid * 10} for (u, cid) in sorted(c.site.company_users)
             if cid * 10 in departmentids]
    return {"users": users}


# --- the companion plugin ---------------------------------------------------------------------

def record_video(c: Call, assignmentid, userid, streamuid, portalsubmissionid, status, durationseconds, sizebytes,
                 uploadedat, deleteafter, submit):
    a = _assignment(c, assignmentid)
    if not c.privileged:
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
        seeall = a is not None and (c.privileged or c.site.is_grader(c.user.id, a.course))
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
    if not c.privileged:
        raise nopermissions("Record Stream videos for students")
    v["status"] = status
    if durationseconds:
        v["durationseconds"] = durationseconds
    if readyat:
        v["readyat"] = readyat
    v["timemodified"] = c.site.now()
    return {"recordid": v["recordid"], "status": status, "timemodified": v["timemodified"]}


def user_context(c: Call, userid):
    if not c.privileged:
        raise nopermissions("Read portal user context")
    u = c.site.users.get(userid)
    if u is None:
        raise Fault("dml_missing_record_exception", "invaliduser", "Invalid user")
    companies = [{"companyid": cid, "name": c.site.companies[cid].name, "shortname": c.site.companies[cid].shortname,
                  "managertype": t, "departmentid": cid * 10, "educator": 0, "suspended": bool(c.site.companies[cid].suspended)}
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
    "block_iomad_company_admin_get_company_courses": get_company_courses,
    "block_iomad_company_admin_get_user_companies": user_companies,
    "block_iomad_company_admin_get_departments": departments,
    "block_iomad_company_admin_get_department_users": department_users,
    "assignsubmission_streamportal_record_video": record_video,
    "assignsubmission_streamportal_get_videos": get_videos,
    "assignsubmission_streamportal_set_video_status": set_video_status,
    "assignsubmission_streamportal_get_user_context": user_context,
}
