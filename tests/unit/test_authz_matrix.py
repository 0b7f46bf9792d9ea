"""Every role in two companies and two courses against every scope: a leak in any scope fails here."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from portal import authz
from portal.authz import Right


@pytest.fixture
def world(make):
    """Company A runs course A, company B runs course B; one submission in each course."""
    a, b = make.company("Acme"), make.company("Beta")
    course_a, course_b = make.course(a), make.course(b)
    w = {
        "company_a": a, "company_b": b, "course_a": course_a, "course_b": course_b,
        "student_a": make.student(course_a, username="student_a"),
        "student_b": make.student(course_b, username="student_b"),
        "teacher_a": make.teacher(course_a, username="teacher_a"),
        "ta_a": make.teacher(course_a, role="teacher", username="ta_a"),   # non-editing teacher
        "teacher_b": make.teacher(course_b, username="teacher_b"),
        "manager_a": make.manager_of(a, make.user("manager_a")),
        "manager_b": make.manager_of(b, make.user("manager_b")),
        "admin": make.user("admin", is_site_admin=True),
        "nobody": make.user("nobody"),
    }
    w["assign_a"], w["assign_b"] = make.assignment(course_a), make.assignment(course_b)
    w["sub_a"] = make.submission(w["assign_a"], w["student_a"])
    w["sub_b"] = make.submission(w["assign_b"], w["student_b"])
    return w


# user -> (visible submissions, gradable submissions, reportable companies, submittable assignments)
EXPECTED = {
    "student_a": ({"sub_a"}, set(), set(), {"assign_a"}),
    "student_b": ({"sub_b"}, set(), set(), {"assign_b"}),
    "teacher_a": ({"sub_a"}, {"sub_a"}, set(), set()),
    "ta_a": ({"sub_a"}, {"sub_a"}, set(), set()),
    "teacher_b": ({"sub_b"}, {"sub_b"}, set(), set()),
    "manager_a": ({"sub_a"}, set(), {"company_a"}, set()),
    "manager_b": ({"sub_b"}, set(), {"company_b"}, set()),
    "admin": ({"sub_a", "sub_b"}, {"sub_a", "sub_b"}, {"company_a", "company_b"}, set()),
    "nobody": (set(), set(), set(), set()),
}

# user -> rights on sub_a
RIGHTS_ON_A = {
    "student_a": {Right.VIEW, Right.PLAY},
    "student_b": set(),
    "teacher_a": {Right.VIEW, Right.PLAY, Right.GRADE},
    "ta_a": {Right.VIEW, Right.PLAY, Right.GRADE},
    "teacher_b": set(),
    "manager_a": {Right.VIEW},
    "manager_b": set(),
    "admin": {Right.VIEW, Right.PLAY, Right.GRADE},
    "nobody": set(),
}


def names(world, rows):
    ids = {(type(r).__name__, r.id) for r in rows}
    return {k for k, v in world.items()
            if hasattr(v, "id") and (type(v).__name__, v.id) in ids}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_scoped_queries(db, world, who):
    user = world[who]
    visible, gradable, companies, submittable = EXPECTED[who]
    assert names(world, db.session.scalars(authz.visible_submissions(user))) == visible
    assert names(world, db.session.scalars(authz.gradable_submissions(user))) == gradable
    assert names(world, db.session.scalars(authz.reportable_companies(user))) == companies
    assert names(world, db.session.scalars(authz.submittable_assignments(user))) == submittable


@pytest.mark.parametrize("who", sorted(RIGHTS_ON_A))
def test_rights_and_submission_or_404(db, world, who):
    user, sub = world[who], world["sub_a"]
    assert authz.rights(user, sub) == RIGHTS_ON_A[who]
    for need in Right:
        if need in RIGHTS_ON_A[who]:
            assert authz.submission_or_404(user, sub.id, need).id == sub.id
        elif RIGHTS_ON_A[who]:
            with pytest.raises(Forbidden):
                authz.submission_or_404(user, sub.id, need)
        else:   # invisible: 404, never a hint that it exists
            with pytest.raises(NotFound):
                authz.submission_or_404(user, sub.id, need)


@pytest.mark.parametrize("who,allowed", [("manager_a", {"company_a"}), ("manager_b", {"company_b"}),
                                         ("admin", {"company_a", "company_b"}), ("teacher_a", set()),
                                         ("student_a", set())])
def test_company_or_404(db, world, who, allowed):
    for name in ("company_a", "company_b"):
        if name in allowed:
            assert authz.company_or_404(world[who], world[name].id).id == world[name].id
        else:
            with pytest.raises(NotFound):
                authz.company_or_404(world[who], world[name].id)


def test_role_predicates(db, world):
    assert [authz.is_teacher(world[w]) for w in ("teacher_a", "ta_a", "student_a", "manager_a")] == \
        [True, True, False, False]
    assert [authz.is_manager(world[w]) for w in ("manager_a", "teacher_a", "admin")] == [True, False, True]
    assert [authz.is_student(world[w]) for w in ("student_a", "teacher_a")] == [True, False]


def test_removed_enrolment_removes_access(db, world):
    from portal.models import Enrolment

    teacher = world["teacher_a"]
    db.session.query(Enrolment).filter_by(user_id=teacher.id).delete()
    db.session.commit()
    assert list(db.session.scalars(authz.gradable_submissions(teacher))) == []
    with pytest.raises(NotFound):
        authz.submission_or_404(teacher, world["sub_a"].id)
