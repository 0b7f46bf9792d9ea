"""Moodle/IOMAD REST web services client (works unchanged against a real IOMAD site).

Errors come back as HTTP 200 with an `exception` key (contract README §4), so the client reads
the body, not the status. Only reads are retried here; writes are retried by the outbox.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import requests

log = logging.getLogger(__name__)


class MoodleError(Exception):
    """Anything that went wrong talking to Moodle."""


class MoodleUnavailable(MoodleError):
    """Network, timeout, non-JSON page, maintenance: try again later."""


class MoodleRejected(MoodleError):
    """Moodle refused the call; retrying will not help."""

    def __init__(self, errorcode: str, message: str, exception: str = "", function: str = ""):
        super().__init__(f"{errorcode}: {message}")
        self.errorcode, self.message, self.exception, self.function = errorcode, message, exception, function

    @property
    def capability(self) -> str | None:
        """The capability the service role probably lacks, when Moodle said nopermissions."""
        return REQUIRED_CAPABILITY.get(self.function) if self.errorcode == "nopermissions" else None


class MoodleInvalidToken(MoodleRejected):
    """The service token is unknown, expired or revoked."""


class MoodleAccessDenied(MoodleRejected):
    """The token's user or service may not do this (capability, context, function not in service)."""


class MoodleInvalidParameter(MoodleRejected):
    """A parameter was missing, unexpected or of the wrong type."""


class MoodleUnknownFunction(MoodleRejected):
    """The function does not exist on this site (e.g. the companion plugin is not installed)."""


ERRORS_BY_CODE: dict[str, type[MoodleRejected]] = {
    "invalidtoken": MoodleInvalidToken,
    "accessexception": MoodleAccessDenied,
    "nopermissions": MoodleAccessDenied,
    "requireloginerror": MoodleAccessDenied,
    "restrictedcontextexception": MoodleAccessDenied,
    "errorcoursecontextnotvalid": MoodleAccessDenied,
    "invalidparameter": MoodleInvalidParameter,
}
UNAVAILABLE_CODES = {"sitemaintenance"}

# The capability each function checks first (contract functions/*.json, "capabilities"): what to
# tell the admin when Moodle answers nopermissions to the service account.
REQUIRED_CAPABILITY = {
    "assignsubmission_streamportal_get_user_context": "assignsubmission/streamportal:readusercontext",
    "assignsubmission_streamportal_record_video": "assignsubmission/streamportal:recordvideo",
    "assignsubmission_streamportal_set_video_status": "assignsubmission/streamportal:recordvideo",
    "assignsubmission_streamportal_get_videos": "assignsubmission/streamportal:viewvideos",
    "block_iomad_company_admin_get_companies": "block/iomad_company_admin:company_add",
    "block_iomad_company_admin_get_company_courses": "block/iomad_company_admin:viewcourses",
    "block_iomad_company_admin_get_user_companies": "block/iomad_company_admin:company_view_all",
    "core_enrol_get_enrolled_users": "moodle/role:review",
    "mod_assign_save_grades": "mod/assign:grade",
    "mod_assign_get_grades": "mod/assign:viewgrades",
}

# Functions that only read: safe to retry after a network error.
READS = {
    "core_webservice_get_site_info", "core_user_get_users_by_field", "core_enrol_get_users_courses",
    "core_enrol_get_enrolled_users", "core_course_get_courses_by_field", "core_course_get_contents",
    "core_course_get_course_module", "mod_assign_get_assignments", "mod_assign_get_grades",
    "mod_assign_get_submissions", "mod_assign_get_submission_status", "mod_assign_get_user_flags",
    "block_iomad_company_admin_get_companies", "block_iomad_company_admin_get_company_courses",
    "block_iomad_company_admin_get_user_companies", "block_iomad_company_admin_get_departments",
    "block_iomad_company_admin_get_department_users",
    "assignsubmission_streamportal_get_videos", "assignsubmission_streamportal_get_user_context",
}


def encode_params(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """PHP bracket notation: grades[0][plugindata][assignfeedbackcomments_editor][text]=…"""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        out.extend(_encode(name, value))
    return out


def _encode(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return encode_params(value, name)
    if isinstance(value, (list, tuple)):
        out: list[tuple[str, str]] = []
        for i, item in enumerate(value):
            out.extend(_encode(f"{name}[{i}]", item))
        return out
    if isinstance(value, bool):           # Moodle accepts only 0/1 for booleans
        return [(name, "1" if value else "0")]
    return [(name, str(value))]


@dataclass(frozen=True)
class GradeUpdate:
    userid: int
    grade: float                      # -1 = no grade
    feedback_html: str = ""
    addattempt: bool = False
    workflowstate: str = ""
    attemptnumber: int = -1

    def as_param(self) -> dict[str, Any]:
        # plugindata is always sent: re-grading without it fails with a database error (recorded).
        return {"userid": self.userid, "grade": self.grade, "attemptnumber": self.attemptnumber,
                "addattempt": self.addattempt, "workflowstate": self.workflowstate,
                "plugindata": {"assignfeedbackcomments_editor": {"text": self.feedback_html, "format": 1}}}


class MoodleClient:
    def __init__(self, base_url: str, token: str, *, http: requests.Session | None = None,
                 timeout: tuple[float, float] = (3.05, 20), read_retries: int = 2):
        self._url = base_url.rstrip("/") + "/webservice/rest/server.php"
        self._token, self._timeout, self._retries = token, timeout, read_retries
        self._http = http or requests.Session()
        self._own_userid: int | None = None

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"MoodleClient({self._url!r})"

    def call(self, function: str, _retries: int | None = None, **params: Any) -> Any:
        """`_retries` overrides the read retries (the outbox worker has its own back-off)."""
        form = [("wstoken", self._token), ("wsfunction", function), ("moodlewsrestformat", "json"),
                *encode_params(params)]
        attempts = 1 + ((self._retries if _retries is None else _retries) if function in READS else 0)
        for attempt in range(attempts):
            try:
                return self._call_once(function, form)
            except MoodleUnavailable:
                if attempt + 1 >= attempts:
                    raise
                time.sleep(min(2.0, 0.2 * 2 ** attempt) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    def _call_once(self, function: str, form: list[tuple[str, str]]) -> Any:
        try:  # token in the body: URLs end up in logs
            resp = self._http.post(self._url, data=form, timeout=self._timeout)
        except requests.RequestException as exc:
            raise MoodleUnavailable(f"{function}: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise MoodleUnavailable(f"{function}: HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError as exc:
            raise MoodleUnavailable(f"{function}: the answer was not JSON (maintenance or an error page?)") from exc
        if isinstance(body, dict) and "exception" in body:
            code = body.get("errorcode") or body.get("exception", "unknown")
            message = body.get("message", "")
            if code in UNAVAILABLE_CODES:
                raise MoodleUnavailable(f"{function}: {code}")
            if code == "invalidrecord" and "external_functions" in message:
                raise MoodleUnknownFunction(code, message, body.get("exception", ""), function)
            raise ERRORS_BY_CODE.get(code, MoodleRejected)(code, message, body.get("exception", ""), function)
        return body

    # --- reads ----------------------------------------------------------------------------
    def site_info(self) -> dict[str, Any]:
        return self.call("core_webservice_get_site_info")

    def get_user(self, userid: int) -> dict[str, Any] | None:
        users = self.call("core_user_get_users_by_field", field="id", values=[userid])
        return users[0] if users else None

    def users_courses(self, userid: int) -> list[dict[str, Any]]:
        return self.call("core_enrol_get_users_courses", userid=userid, returnusercount=False)

    def enrolled_users(self, courseid: int, *, withcapability: str | None = None,
                       userfields: str | None = None, onlyactive: bool = False) -> list[dict[str, Any]]:
        options = []
        if onlyactive:     # suspended enrolments are listed otherwise (contract response_notes)
            options.append({"name": "onlyactive", "value": 1})
        if withcapability:
            options.append({"name": "withcapability", "value": withcapability})
        if userfields:
            options.append({"name": "userfields", "value": userfields})
        return self.call("core_enrol_get_enrolled_users", courseid=courseid, options=options or None)

    def course_module(self, cmid: int) -> dict[str, Any]:
        return self.call("core_course_get_course_module", cmid=cmid)["cm"]

    def assignments(self, courseids: Iterable[int]) -> dict[str, Any]:
        return self.call("mod_assign_get_assignments", courseids=list(courseids),
                         includenotenrolledcourses=True)

    def get_grades(self, assignmentids: Iterable[int], since: int = 0, *, retries: int | None = None) -> dict[str, Any]:
        return self.call("mod_assign_get_grades", retries, assignmentids=list(assignmentids), since=since)

    def latest_attempt(self, assignid: int, userid: int) -> int:
        """Moodle's latest attempt number for the student (0 before any submission)."""
        answer = self.call("mod_assign_get_submission_status", 0, assignid=assignid, userid=userid)
        return int(((answer.get("lastattempt") or {}).get("submission") or {}).get("attemptnumber") or 0)

    def own_userid(self) -> int:
        """The service account's Moodle user id: the `grader` of every grade the portal writes."""
        if self._own_userid is None:
            self._own_userid = int(self.call("core_webservice_get_site_info", 0)["userid"])
        return self._own_userid

    def user_companies(self, userid: int) -> list[dict[str, Any]]:
        return self.call("block_iomad_company_admin_get_user_companies", userid=userid)["companies"]

    def company_courses(self, companyid: int) -> list[dict[str, Any]]:
        answer = self.call("block_iomad_company_admin_get_company_courses",
                           criteria=[{"companyid": companyid, "shared": 0}])
        return [c for company in answer.get("companies", []) for c in company.get("courses", [])]

    def user_context(self, userid: int) -> dict[str, Any]:
        return self.call("assignsubmission_streamportal_get_user_context", userid=userid)

    def get_videos(self, **filters: Any) -> dict[str, Any]:
        return self.call("assignsubmission_streamportal_get_videos", **filters)

    # --- writes (sent by the outbox worker) ---------------------------------------------------
    def save_grades(self, assignmentid: int, grades: list[GradeUpdate], *, applytoall: bool = False) -> None:
        self.call("mod_assign_save_grades", assignmentid=assignmentid, applytoall=applytoall,
                  grades=[g.as_param() for g in grades])

    def record_video(self, **video: Any) -> dict[str, Any]:
        return self.call("assignsubmission_streamportal_record_video", **video)

    def set_video_status(self, **status: Any) -> dict[str, Any]:
        return self.call("assignsubmission_streamportal_set_video_status", **status)
