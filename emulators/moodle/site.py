"""The emulated site's state: users, courses, IOMAD companies, enrolments, assignments, grades,
tokens, the companion plugin's video records and the OAuth2 provider's clients and codes.
In memory: a restart (or the test control's reset) goes back to the dataset."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

# Role ids and names as on the recorded IOMAD 4.3 site; standard roles have no name of their own ("").
ROLE_IDS = {"manager": 1, "editingteacher": 3, "teacher": 4, "student": 5, "companycourseeditor": 12,
            "companycoursenoneditor": 13}
ROLE_NAMES = {"companycourseeditor": "Client Course Editor", "streamportal": "Stream Portal service"}

# Capabilities per role, as the archetypes give them (only those the emulated functions check).
# IOMAD's "Client Course Editor" has archetype editingteacher, so it holds what an editing teacher
# holds: company managers can grade in every company course (REAL-SITE.md, "Roles and IOMAD").
_STUDENT = {"mod/assign:view", "mod/assign:submit", "moodle/course:viewparticipants"}
_TEACHER = {"mod/assign:view", "mod/assign:grade", "mod/assign:viewgrades", "mod/assign:releasegrades",
            "moodle/course:viewparticipants", "moodle/role:review", "moodle/course:enrolreview",
            "moodle/site:accessallgroups"}
_EDITINGTEACHER = _TEACHER | {"moodle/course:update", "moodle/grade:edit"}
# The portal's service role (README "Moodle set-up"; contract README §7 plus the plugin's).
SERVICE_ROLE_CAPABILITIES = {
    "webservice/rest:use", "moodle/course:view", "moodle/course:viewparticipants", "moodle/user:viewdetails",
    "moodle/user:viewalldetails", "moodle/site:viewfullnames", "moodle/course:useremail",
    "moodle/site:accessallgroups", "moodle/course:enrolreview", "moodle/role:review",
    "moodle/course:viewhiddencourses", "moodle/course:update", "moodle/course:viewhiddenactivities",
    "mod/assign:view", "mod/assign:viewgrades", "mod/assign:grade", "mod/assign:releasegrades",
    "mod/assign:editothersubmission", "moodle/grade:edit",
    "block/iomad_company_admin:company_add", "block/iomad_company_admin:company_view_all",
    "block/iomad_company_admin:viewcourses", "block/iomad_company_admin:edit_all_departments",
    "block/iomad_company_admin:editusers",
    "assignsubmission/streamportal:recordvideo", "assignsubmission/streamportal:viewvideos",
    "assignsubmission/streamportal:readusercontext",
}


def role_capabilities() -> dict[str, set[str]]:
    """A fresh copy per site: a test removes a capability from a role as an admin would."""
    return {"student": set(_STUDENT), "teacher": set(_TEACHER), "editingteacher": set(_EDITINGTEACHER),
            "companycourseeditor": set(_EDITINGTEACHER), "companycoursenoneditor": set(_TEACHER),
            "manager": set(_EDITINGTEACHER), "streamportal": set(SERVICE_ROLE_CAPABILITIES)}


@dataclass
class User:
    id: int
    username: str
    firstname: str
    lastname: str
    email: str
    password: str = "demo"
    siteadmin: bool = False
    suspended: bool = False
    lang: str = "en"
    timemodified: int = 1730000000
    idnumber: str | None = None                     # None: the username in capitals

    def __post_init__(self):
        if self.idnumber is None:
            self.idnumber = self.username.upper()

    @property
    def fullname(self) -> str:
        return f"{self.firstname} {self.lastname}"


@dataclass
class Course:
    id: int
    shortname: str
    fullname: str
    category: int = 1
    summary: str = ""
    startdate: int = 1725148800
    enddate: int = 0
    visible: int = 1
    idnumber: str | None = None                     # None: the shortname
    topics: int = 1                                 # sections after "General"
    timecreated: int = 1730000000

    def __post_init__(self):
        if self.idnumber is None:
            self.idnumber = self.shortname


@dataclass
class Assignment:
    id: int
    cmid: int
    course: int
    name: str
    intro: str
    duedate: int
    grade: int = 100
    allowsubmissionsfromdate: int = 0
    cutoffdate: int = 0
    maxattempts: int = -1
    submissiondrafts: int = 0
    attemptreopenmethod: str = "none"               # 4.3's default (REAL-SITE.md); manual, untilpass
    gradepass: float = 0                            # the grade item's "grade to pass"; 0: none set
    configs: list[dict[str, str]] = field(default_factory=list)
    timemodified: int = 1730000000
    section: int = 1

    def plugin_enabled(self, subtype: str, plugin: str) -> bool:
        return {"subtype": subtype, "plugin": plugin, "name": "enabled", "value": "1"} in self.configs


@dataclass
class Page:
    """A page resource (mod_page), listed by core_course_get_contents."""
    cmid: int
    instance: int
    course: int
    name: str
    section: int = 0
    timemodified: int = 1730000000


@dataclass
class Company:
    id: int
    name: str
    shortname: str
    code: str = ""
    city: str = ""
    country: str = "GB"
    suspended: int = 0
    departmentid: int = 0                           # the company's top department; 0: id * 10
    custom1: str | None = None
    custom2: str | None = None
    custom3: str | None = None

    def __post_init__(self):
        self.departmentid = self.departmentid or self.id * 10


@dataclass
class Site:
    name: str
    users: dict[int, User]
    courses: dict[int, Course]
    assignments: dict[int, Assignment]
    companies: dict[int, Company]
    # (userid, courseid) -> role shortnames
    enrolments: dict[tuple[int, int], list[str]]
    # (userid, companyid) -> managertype (0 user, 1 company manager, 2 department manager, 4 reporter)
    company_users: dict[tuple[int, int], int]
    company_courses: dict[int, list[int]]           # companyid -> course ids
    tokens: dict[str, dict[str, Any]]               # token -> {userid, service}
    oauth_clients: dict[str, dict[str, Any]]
    service_functions: dict[str, set[str]]          # service shortname -> functions
    # Site administration > Advanced features > Enable web services (enablewebservices).
    webservices_enabled: bool = True
    # The latest attempt's grade and submission per (assign, user); earlier attempts' rows move to
    # previous_attempts when Moodle opens a new attempt (mod_assign keeps a row per attempt).
    grades: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)       # (assign, user)
    submissions: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (assign, user)
    previous_attempts: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    flags: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)        # (assign, user)
    pages: dict[int, Page] = field(default_factory=dict)                              # cmid -> page
    shortname: str = "moodle"                       # the front page course's
    theme: str = "boost"
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)                   # uid -> record
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    consents: set[tuple[int, str, str]] = field(default_factory=set)
    grade_log: list[tuple[int, int, Any]] = field(default_factory=list)   # every grade write received
    # Roles: what each role may do, and who holds which role at system level (course roles are
    # the enrolments above). Capabilities decide every check, as in Moodle.
    role_caps: dict[str, set[str]] = field(default_factory=role_capabilities)
    system_roles: dict[int, list[str]] = field(default_factory=dict)                   # userid -> roles
    suspended_enrolments: set[tuple[int, int]] = field(default_factory=set)            # (userid, courseid)
    # IOMAD 4.x: block_iomad_company_admin_get_user_companies fails for company members
    # (REAL-SITE.md); False emulates the fixed function of IOMAD 5.x.
    iomad_user_companies_broken: bool = True
    uninstalled: set[str] = field(default_factory=set)   # plugin components whose functions are absent
    next_id: int = 1000
    lock: threading.RLock = field(default_factory=threading.RLock)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def roles(self, userid: int, courseid: int) -> list[str]:
        return self.enrolments.get((userid, courseid), [])

    def has_capability(self, userid: int, capability: str, courseid: int | None = None) -> bool:
        """Site admins have every capability; otherwise a role at system level, or (in a course)
        an active enrolment's role, must hold it."""
        user = self.users.get(userid)
        if user is None:
            return False
        if user.siteadmin:
            return True
        roles = list(self.system_roles.get(userid, []))
        if courseid is not None and (userid, courseid) not in self.suspended_enrolments:
            roles += self.roles(userid, courseid)
        return any(capability in self.role_caps.get(r, set()) for r in roles)

    def is_grader(self, userid: int, courseid: int) -> bool:
        return self.has_capability(userid, "mod/assign:grade", courseid)

    def can_update(self, userid: int, courseid: int) -> bool:
        return self.has_capability(userid, "moodle/course:update", courseid)

    def course_users(self, courseid: int, role: str | None = None) -> list[int]:
        return sorted(u for (u, c), roles in self.enrolments.items()
                      if c == courseid and (role is None or role in roles))

    def user_courses(self, userid: int, onlyactive: bool = False) -> list[int]:
        """Newest course first, as Moodle sorts a category's courses."""
        return sorted((c for (u, c) in self.enrolments
                       if u == userid and not (onlyactive and (u, c) in self.suspended_enrolments)), reverse=True)

    def course_company(self, courseid: int) -> int | None:
        return next((cid for cid, courses in self.company_courses.items() if courseid in courses), None)

    def now(self) -> int:
        return int(time.time())
