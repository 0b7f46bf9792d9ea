"""THE authorization module: who may see and do what.

Every page, fragment, CSV export and playback token starts its query here, so a scope is defined
once. Roles come from Moodle (enrolments, IOMAD memberships) and are never invented by the portal.
"""
from __future__ import annotations

import enum

from flask import abort, g, has_request_context
from sqlalchemy import Select, or_, select

from .extensions import db
from .models import (Assignment, Company, CompanyMember, Course, CourseRole, Enrolment, MemberRole,
                     Submission, User)

GRADER_ROLES = (CourseRole.TEACHER.value, CourseRole.EDITINGTEACHER.value)


class Right(enum.Enum):
    VIEW = "view"      # see the submission's facts (manager reports included)
    PLAY = "play"      # watch the video (a playback token is minted)
    GRADE = "grade"    # grade, comment, approve, request resubmission


def courses_taught_by(user: User) -> Select:
    return select(Enrolment.course_id).where(Enrolment.user_id == user.id,
                                             Enrolment.role.in_(GRADER_ROLES))


def courses_studied_by(user: User) -> Select:
    return select(Enrolment.course_id).where(Enrolment.user_id == user.id,
                                             Enrolment.role == CourseRole.STUDENT.value)


def companies_managed_by(user: User) -> Select:
    return select(CompanyMember.company_id).where(CompanyMember.user_id == user.id,
                                                  CompanyMember.role == MemberRole.MANAGER.value)


# --- scoped queries -------------------------------------------------------------------------

def visible_submissions(user: User) -> Select:
    """Start of every query that lists or loads submissions for `user`."""
    q = select(Submission).join(Submission.assignment).join(Assignment.course)
    if user.is_site_admin:
        return q
    return q.where(or_(Submission.student_id == user.id,
                       Course.id.in_(courses_taught_by(user)),
                       Course.company_id.in_(companies_managed_by(user))))


def gradable_submissions(user: User) -> Select:
    """Submissions `user` may grade: the teacher's queue. A semi-join, not a join, so counting a
    large queue does not drag every assignment and course row along."""
    q = select(Submission)
    if user.is_site_admin:
        return q
    return q.where(Submission.assignment_id.in_(
        select(Assignment.id).where(Assignment.course_id.in_(courses_taught_by(user)))))


def graded_assignments(user: User) -> Select:
    q = select(Assignment).join(Assignment.course)
    if user.is_site_admin:
        return q
    return q.where(Course.id.in_(courses_taught_by(user)))


def submittable_assignments(user: User) -> Select:
    """Assignments `user` may submit to: a student enrolment in the course, nothing else."""
    return select(Assignment).where(Assignment.course_id.in_(courses_studied_by(user)))


def reportable_companies(user: User) -> Select:
    q = select(Company)
    if user.is_site_admin:
        return q
    return q.where(Company.id.in_(companies_managed_by(user)))


def reported_assignment(user: User, cmid: int) -> Assignment | None:
    """The assignment with this cmid when it belongs to a company `user` reports on."""
    companies = reportable_companies(user).with_only_columns(Company.id)
    return db.session.scalar(select(Assignment).join(Assignment.course)
                             .where(Assignment.cmid == cmid, Course.company_id.in_(companies)))


def visible_courses(user: User) -> Select:
    q = select(Course)
    if user.is_site_admin:
        return q
    return q.where(or_(Course.id.in_(select(Enrolment.course_id).where(Enrolment.user_id == user.id)),
                       Course.company_id.in_(companies_managed_by(user))))


# --- permission checks ----------------------------------------------------------------------

def rights(user: User, sub: Submission) -> set[Right]:
    if user.is_site_admin:
        return set(Right)
    granted: set[Right] = set()
    if sub.student_id == user.id:
        granted |= {Right.VIEW, Right.PLAY}
    course = sub.assignment.course
    if db.session.scalar(courses_taught_by(user).where(Enrolment.course_id == course.id).limit(1)):
        granted |= {Right.VIEW, Right.PLAY, Right.GRADE}
    if course.company_id is not None and db.session.scalar(
            companies_managed_by(user).where(CompanyMember.company_id == course.company_id).limit(1)):
        granted.add(Right.VIEW)
    return granted


def submission_or_404(user: User, submission_id: int, need: Right = Right.VIEW) -> Submission:
    sub = db.session.scalar(visible_submissions(user).where(Submission.id == submission_id))
    if sub is None:
        abort(404)                 # invisible: do not confirm it exists
    if need not in rights(user, sub):
        abort(403)                 # visible, but e.g. a manager may not grade
    return sub


def company_or_404(user: User, company_id: int) -> Company:
    company = db.session.scalar(reportable_companies(user).where(Company.id == company_id))
    if company is None:
        abort(404)
    return company


def _per_request(name: str, user: User, compute) -> bool:
    """Role flags asked by the view and the navigation alike: one query per request, not per ask."""
    if not has_request_context():
        return compute()
    cache = g.setdefault("_role_flags", {})
    key = (name, user.id)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def is_teacher(user: User) -> bool:
    return user.is_site_admin or _per_request(
        "teacher", user, lambda: db.session.scalar(courses_taught_by(user).limit(1)) is not None)


def is_manager(user: User) -> bool:
    return user.is_site_admin or _per_request(
        "manager", user, lambda: db.session.scalar(companies_managed_by(user).limit(1)) is not None)


def is_student(user: User) -> bool:
    return _per_request(
        "student", user, lambda: db.session.scalar(courses_studied_by(user).limit(1)) is not None)


def require_site_admin(user: User) -> None:
    if not user.is_site_admin:
        abort(403)

