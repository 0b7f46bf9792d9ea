"""Who a user is, according to Moodle: courses and roles, IOMAD companies and manager rights.

Moodle is the only source of roles. Each sync replaces what the portal knew about a user with what
Moodle says now, so a role removed in Moodle is removed here. Roles are decided by capability
(mod/assign:grade, mod/assign:submit), not by role names, which sites rename.
"""
from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask import current_app
from sqlalchemy import delete, exists, select, update

from ..extensions import db
from ..models import (Assignment, AuditEntry, Company, CompanyMember, Course, CourseRole, Enrolment,
                      MemberRole, ReopenMethod, Submission, UNLIMITED_ATTEMPTS, User, utcnow)
from . import moodle_refusals
from .insert_once import insert_once
from .moodle import MoodleClient, MoodleInvalidToken, MoodleRejected, MoodleUnknownFunction

log = logging.getLogger(__name__)

GRADE_CAP = "mod/assign:grade"
SUBMIT_CAP = "mod/assign:submit"
USERFIELDS = "id,username,fullname,email,roles"
IOMAD_MANAGER_TYPES = {1, 2}      # company manager, department manager (4 = reporter: no access)
SITE_SYNC = "roster.site_sync"    # audit action of each whole-site sync


def moodle_client() -> MoodleClient:
    s = current_app.config["SETTINGS"]
    return MoodleClient(s.moodle_url, s.moodle_service_token)


@dataclass
class CourseRoster:
    """The graders and students of one course, fetched once per sync."""
    graders: dict[int, str] = field(default_factory=dict)     # moodle user id -> role
    grader_info: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    students: dict[int, Mapping[str, Any]] = field(default_factory=dict)


class Roster:
    def __init__(self, moodle: MoodleClient):
        self.moodle = moodle
        self._courses: dict[int, CourseRoster] = {}
        self._company_courses: dict[int, list[Mapping[str, Any]]] = {}
        self._reported: set[tuple[str, str]] = set()

    # --- fetch ------------------------------------------------------------------------------
    def course_roster(self, course_moodle_id: int) -> CourseRoster:
        if course_moodle_id not in self._courses:
            roster = CourseRoster()
            for u in self.moodle.enrolled_users(course_moodle_id, withcapability=GRADE_CAP,
                                                userfields=USERFIELDS, onlyactive=True):
                shortnames = {r.get("shortname") for r in u.get("roles") or []}
                roster.graders[u["id"]] = (CourseRole.EDITINGTEACHER.value
                                           if "editingteacher" in shortnames else CourseRole.TEACHER.value)
                roster.grader_info[u["id"]] = u
            for u in self.moodle.enrolled_users(course_moodle_id, withcapability=SUBMIT_CAP,
                                                userfields=USERFIELDS, onlyactive=True):
                if u["id"] not in roster.graders:
                    roster.students[u["id"]] = u
            self._courses[course_moodle_id] = roster
        return self._courses[course_moodle_id]

    def company_courses(self, company_moodle_id: int) -> list[Mapping[str, Any]]:
        if company_moodle_id not in self._company_courses:
            self._company_courses[company_moodle_id] = self.moodle.company_courses(company_moodle_id)
        return self._company_courses[company_moodle_id]

    def user_context(self, moodle_user_id: int) -> Mapping[str, Any]:
        """Companies with manager type, from the companion plugin; IOMAD's get_user_companies only
        where the plugin is not installed. Any other refusal escapes: the caller must not take it
        for "in no company"."""
        try:
            return self.moodle.user_context(moodle_user_id)
        except MoodleUnknownFunction:
            log.info("companion plugin not installed: companies from IOMAD's get_user_companies")
        try:
            companies = self.moodle.user_companies(moodle_user_id)
        except MoodleUnknownFunction:     # plain Moodle without the plugin: nobody is in a company
            companies = []
        # IOMAD 4.x's get_user_companies fails for company members (invalidrecord, REAL-SITE.md):
        # that escapes as well, so memberships are kept, not emptied.
        return {"userid": moodle_user_id, "issiteadmin": False, "iomad": bool(companies),
                "companies": [{"companyid": c["id"], "name": c["name"], "shortname": "",
                               "managertype": 0} for c in companies]}

    # --- store ------------------------------------------------------------------------------
    @staticmethod
    def _by_moodle_id(model, moodle_id: int, **first: Any):
        """The row for a Moodle id, inserted with `first` when missing. INSERT … ON CONFLICT DO
        NOTHING: two syncs at once (a worker starting, a sign-in, the demo seed) never collide."""
        q = select(model).where(model.moodle_id == moodle_id)
        row = db.session.scalar(q)
        if row is None:
            insert_once(db.session, model, "moodle_id", {"moodle_id": moodle_id, **first})
            row = db.session.scalar(q)
        return row

    def upsert_user(self, moodle_id: int, *, username: str = "", fullname: str = "",
                    email: str = "") -> User:
        user = self._by_moodle_id(User, moodle_id, username=username or str(moodle_id),
                                  fullname=fullname or username or f"Moodle user {moodle_id}", email=email)
        user.username = username or user.username
        user.fullname = fullname or user.fullname
        user.email = email or user.email
        return user

    def upsert_company(self, c: Mapping[str, Any]) -> Company:
        company = self._by_moodle_id(Company, c["companyid"], name=c.get("name") or "", shortname="")
        company.name = c.get("name") or company.name
        company.shortname = c.get("shortname") or company.shortname
        return company

    def upsert_course(self, c: Mapping[str, Any], company: Company | None = None) -> Course:
        course = self._by_moodle_id(Course, c["id"], shortname=c.get("shortname", ""),
                                    fullname=c.get("fullname", ""))
        course.shortname = c.get("shortname") or course.shortname
        course.fullname = c.get("fullname") or course.fullname
        if company is not None:
            course.company = company
        return course

    def sync_assignments(self, courses: Iterable[Course]) -> None:
        by_moodle_id = {c.moodle_id: c for c in courses}
        if not by_moodle_id:
            return
        settings = current_app.config["SETTINGS"]
        answer = self.moodle.assignments(sorted(by_moodle_id))
        for c in answer.get("courses", []):
            course = by_moodle_id.get(c["id"])
            for a in c.get("assignments", []):
                if course is None or not is_video_assignment(a, settings.base_url):
                    continue
                row = db.session.scalar(select(Assignment).where(Assignment.moodle_id == a["id"]))
                if row is None:
                    row = Assignment(moodle_id=a["id"], cmid=a["cmid"], course=course)
                    db.session.add(row)
                apply_assignment(row, a, settings)

    def sync_site(self) -> list[User]:
        """Every active company, its courses and their people: what reports need to know who has
        not submitted yet, and what `make run` seeds. Returns the users it synced; the time is
        recorded (last_site_sync)."""
        try:
            answer = self.moodle.call("block_iomad_company_admin_get_companies",
                                      criteria=[{"key": "suspended", "value": "0"}])
        except MoodleUnknownFunction:          # plain Moodle: no companies to link
            answer = {"companies": []}
        people: dict[int, Mapping[str, Any]] = {}
        for c in answer.get("companies", []):
            company = self.upsert_company({"companyid": c["id"], "name": c["name"],
                                           "shortname": c.get("shortname", "")})
            for cc in self.company_courses(c["id"]):
                self.upsert_course({"id": cc["id"], "fullname": cc.get("fullname", "")}, company)
                roster = self.course_roster(cc["id"])
                people.update(roster.students)
                people.update({uid: info for uid, info in roster.grader_info.items()})
        db.session.flush()
        users = [self.upsert_user(uid, username=p.get("username", ""), fullname=p.get("fullname", ""),
                                  email=p.get("email", "")) for uid, p in sorted(people.items())]
        db.session.flush()
        for user in users:
            self.sync_user(user)
        from ..audit import record
        record(SITE_SYNC, None, object_type="site", users=len(users),
               companies=len(answer.get("companies", [])))
        return users

    def sync_all(self) -> int:
        """The scheduled sync: the whole site (companies, their courses and people), then every
        other user the portal knows (site admins, people outside companies). Returns the count."""
        try:
            with db.session.begin_nested():
                synced = {u.id for u in self.sync_site()}
        except MoodleInvalidToken:
            raise
        except MoodleRejected as exc:          # e.g. an IOMAD capability missing: users still sync
            moodle_refusals.report(exc)
            synced = set()
        others = db.session.scalars(select(User).where(User.id.not_in(synced) if synced else True)).all()
        for user in others:
            self.sync_user(user)
        return len(synced) + len(others)

    def sync_user(self, user: User) -> User:
        """Replace the user's companies, courses and roles with Moodle's current answer; a change is
        recorded in the audit log."""
        before = roles_of(user)
        self._sync_user(user)
        db.session.flush()
        after = roles_of(user)
        if before != after and user.roles_synced_at is not None:
            from ..audit import record
            record("roles.change", None, object_type="user", object_id=user.id,
                   added=sorted(after - before), removed=sorted(before - after))
        user.roles_synced_at = utcnow()
        return user

    def _companies_or_none(self, user: User) -> Mapping[str, Any] | None:
        """The user's context, or None when Moodle refused it (reported once per roster run): the
        user's companies are then kept as they were. A wrong token stops everything."""
        try:
            return self.user_context(user.moodle_id)
        except MoodleInvalidToken:
            raise
        except MoodleRejected as exc:
            key = (exc.function, exc.errorcode)
            if key not in self._reported:
                self._reported.add(key)
                moodle_refusals.report(exc)
            return None

    def _sync_companies(self, user: User, ctx: Mapping[str, Any]) -> dict[int, Company]:
        """Replace the user's company memberships; returns the courses of the companies they manage."""
        user.is_site_admin = bool(ctx.get("issiteadmin"))
        courses_by_company: dict[int, Company] = {}
        db.session.execute(delete(CompanyMember).where(CompanyMember.user_id == user.id))
        for c in ctx.get("companies", []):
            if c.get("suspended"):
                continue
            company = self.upsert_company(c)
            db.session.flush()
            manager = int(c.get("managertype") or 0) in IOMAD_MANAGER_TYPES
            db.session.add(CompanyMember(user_id=user.id, company_id=company.id,
                                         role=(MemberRole.MANAGER if manager else MemberRole.MEMBER).value,
                                         manager_type=int(c.get("managertype") or 0)))
            if manager or user.is_site_admin:
                for cc in self.company_courses(c["companyid"]):
                    courses_by_company[cc["id"]] = company
        return courses_by_company

    def _sync_user(self, user: User) -> None:
        ctx = self._companies_or_none(user)
        courses_by_company = self._sync_companies(user, ctx) if ctx is not None else {}
        courses = []
        for c in self.moodle.users_courses(user.moodle_id):
            courses.append(self.upsert_course(c, courses_by_company.get(c["id"])))
        for moodle_course_id, company in courses_by_company.items():
            course = db.session.scalar(select(Course).where(Course.moodle_id == moodle_course_id))
            if course is not None:
                course.company = company
        db.session.flush()
        db.session.execute(delete(Enrolment).where(Enrolment.user_id == user.id))
        managed = set(db.session.scalars(select(CompanyMember.company_id).where(
            CompanyMember.user_id == user.id, CompanyMember.role == MemberRole.MANAGER.value)))
        for course in courses:
            roster = self.course_roster(course.moodle_id)
            if user.moodle_id in roster.graders and course.company_id in managed:
                # IOMAD enrols every company manager in the company's courses with an editing role
                # ("Client Course Editor"), so Moodle says they may grade; that is how IOMAD gives
                # managers access, not a teaching assignment: they get the company's reports.
                continue
            if user.moodle_id in roster.graders:
                db.session.add(Enrolment(user_id=user.id, course_id=course.id,
                                         role=roster.graders[user.moodle_id]))
            elif user.moodle_id in roster.students:
                db.session.add(Enrolment(user_id=user.id, course_id=course.id,
                                         role=CourseRole.STUDENT.value))
        db.session.flush()
        refresh_student_enrolled(user.id)
        self.sync_assignments(courses)


def refresh_student_enrolled(user_id: int) -> None:
    """Bring Submission.student_enrolled in line with the user's enrolments, after they change:
    one UPDATE over the user's submissions (a few rows)."""
    enrolled = exists().where(Enrolment.user_id == Submission.student_id,
                              Enrolment.course_id == Assignment.course_id,
                              Assignment.id == Submission.assignment_id,
                              Enrolment.role == CourseRole.STUDENT.value)
    db.session.execute(update(Submission).where(Submission.student_id == user_id)
                       .values(student_enrolled=enrolled).execution_options(synchronize_session=False))


def roles_of(user: User) -> set[str]:
    """The user's roles as comparable strings: course roles and company memberships."""
    rows = db.session.execute(select(Course.shortname, Enrolment.role).join(Enrolment.course)
                              .where(Enrolment.user_id == user.id)).all()
    members = db.session.execute(select(Company.name, CompanyMember.role).join(CompanyMember.company)
                                 .where(CompanyMember.user_id == user.id)).all()
    return {f"{c}:{r}" for c, r in rows} | {f"company {c}:{r}" for c, r in members}


def is_video_assignment(a: Mapping[str, Any], portal_url: str) -> bool:
    """An assignment is the portal's when the companion plugin is enabled on it, or, where the
    plugin is not installed, when its description links to the portal."""
    for cfg in a.get("configs", []):
        if (cfg.get("plugin") == "streamportal" and cfg.get("subtype") == "assignsubmission"
                and cfg.get("name") == "enabled"):
            return str(cfg.get("value")) == "1"
    return f"{portal_url}/a/{a.get('cmid')}" in (a.get("intro") or "")


def _plugin_config(a: Mapping[str, Any], name: str) -> str | None:
    for cfg in a.get("configs", []):
        if cfg.get("plugin") == "streamportal" and cfg.get("name") == name:
            return str(cfg.get("value"))
    return None


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), timezone.utc) if value else None


_BLOCK_TAG = re.compile(r"<(?:br|/?p|/?div|/?li|/?h[1-6]|/?tr)\b[^>]*>", re.I)


def plain_text(intro_html: str) -> str:
    """Moodle's intro HTML as one line of text: blocks become spaces, inline tags vanish (so
    "the <a>Stream Portal</a>." keeps its full stop), entities are decoded."""
    text = re.sub(r"<[^>]+>", "", _BLOCK_TAG.sub(" ", intro_html))
    return " ".join(html.unescape(text).split())


def apply_assignment(row: Assignment, a: Mapping[str, Any], settings) -> None:
    row.cmid = a["cmid"]
    row.name = a.get("name", row.name or "")
    row.intro = plain_text(a.get("intro") or "")
    row.opens_at = _ts(a.get("allowsubmissionsfromdate"))
    row.due_at = _ts(a.get("duedate"))
    row.cutoff_at = _ts(a.get("cutoffdate"))
    row.grade_max = Decimal(str(max(int(a.get("grade") or 0), 0)))
    # maxattempts -1 is unlimited; an unknown reopen method counts as none (contract,
    # mod_assign_get_assignments): attempts.allowed() applies them as Moodle does.
    maxattempts = int(a.get("maxattempts") or 1)
    row.max_attempts = maxattempts if maxattempts > 0 else UNLIMITED_ATTEMPTS
    method = a.get("attemptreopenmethod")
    row.reopen_method = method if method in {m.value for m in ReopenMethod} else ReopenMethod.NONE.value
    max_bytes = _plugin_config(a, "maxbytes")
    max_minutes = _plugin_config(a, "maxminutes")
    row.max_bytes = int(max_bytes) if max_bytes and max_bytes.isdigit() and int(max_bytes) > 0 \
        else (row.max_bytes or settings.upload_max_bytes)
    row.max_minutes = int(max_minutes) if max_minutes and max_minutes.isdigit() and int(max_minutes) > 0 \
        else (row.max_minutes or settings.upload_max_minutes)


def sign_in(claims: Mapping[str, Any]) -> User:
    """Upsert the signed-in user from the OpenID claims and refresh their roles from Moodle."""
    roster = Roster(moodle_client())
    user = roster.upsert_user(int(claims["sub"]), username=claims.get("preferred_username", ""),
                              fullname=claims.get("name", ""), email=claims.get("email", ""))
    db.session.flush()
    roster.sync_user(user)
    user.last_login_at = utcnow()
    return user


def sign_in_moodle_user(moodle_user_id: int) -> User | None:
    """Sign-in from a verified launch (services/launch.py): the user's names from Moodle, roles as
    at OAuth sign-in. None when Moodle does not know the user (deleted since the link was made)."""
    info = moodle_client().get_user(moodle_user_id)
    if info is None:
        return None
    return sign_in({"sub": str(moodle_user_id), "preferred_username": info.get("username", ""),
                    "name": info.get("fullname", ""), "email": info.get("email", "")})


@dataclass(frozen=True)
class SiteSync:
    at: datetime
    users: int


def last_site_sync() -> SiteSync | None:
    """When the whole site's roster was last synced (None: never), for the pages and the worker."""
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == SITE_SYNC)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(1))
    return SiteSync(entry.at, int((entry.details or {}).get("users", 0))) if entry else None
