"""Factories for the portal's rows (CTFd-style): small, explicit, one place."""
from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

from portal.models import (Assignment, Company, CompanyMember, Course, Enrolment, MemberRole,
                           Submission, User, utcnow)

_ids = itertools.count(1000)


class Factory:
    def __init__(self, db):
        self.db = db

    def _add(self, obj):
        self.db.session.add(obj)
        self.db.session.commit()
        return obj

    def company(self, name: str | None = None, **kw) -> Company:
        n = next(_ids)
        return self._add(Company(moodle_id=n, name=name or f"Company {n}", shortname=f"c{n}", **kw))

    def user(self, username: str | None = None, **kw) -> User:
        n = next(_ids)
        username = username or f"user{n}"
        kw.setdefault("fullname", username.title())
        return self._add(User(moodle_id=n, username=username, email=f"{username}@example.org", **kw))

    def course(self, company: Company | None = None, **kw) -> Course:
        n = next(_ids)
        return self._add(Course(moodle_id=n, company=company, shortname=f"C{n}",
                                fullname=kw.pop("fullname", f"Course {n}"), **kw))

    def enrol(self, user: User, course: Course, role: str = "student") -> Enrolment:
        return self._add(Enrolment(user=user, course=course, role=role))

    def manager_of(self, company: Company, user: User | None = None) -> User:
        user = user or self.user()
        self._add(CompanyMember(user=user, company=company, role=MemberRole.MANAGER.value, manager_type=1))
        return user

    def student(self, course: Course, **kw) -> User:
        user = self.user(**kw)
        self.enrol(user, course, "student")
        return user

    def teacher(self, course: Course, role: str = "editingteacher", **kw) -> User:
        user = self.user(**kw)
        self.enrol(user, course, role)
        return user

    def assignment(self, course: Course | None = None, **kw) -> Assignment:
        n = next(_ids)
        course = course or self.course()
        kw.setdefault("due_at", utcnow() + timedelta(days=7))
        return self._add(Assignment(moodle_id=kw.pop("moodle_id", n), cmid=kw.pop("cmid", n), course=course, name=kw.pop("name", f"Video {n}"),
                                    grade_max=kw.pop("grade_max", Decimal(100)),
                                    max_bytes=kw.pop("max_bytes", 5 * 1024**3),
                                    max_minutes=kw.pop("max_minutes", 30),
                                    max_attempts=kw.pop("max_attempts", 2), **kw))

    def submission(self, assignment: Assignment | None = None, student: User | None = None,
                   **kw) -> Submission:
        assignment = assignment or self.assignment()
        student = student or self.student(assignment.course)
        kw.setdefault("status", "ready")
        kw.setdefault("upload_length", 10_000_000)
        return self._add(Submission(assignment=assignment, student=student,
                                    stream_uid=kw.pop("stream_uid", uuid.uuid4().hex),
                                    attempt=kw.pop("attempt", 1), **kw))
