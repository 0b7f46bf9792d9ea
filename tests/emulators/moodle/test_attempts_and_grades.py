"""Attempts, reopening, grades and parameter validation as the real IOMAD 4.3.7 site applies them
(../shared/contracts/moodle/REAL-SITE.md, "Attempts and reopening", "Grades and feedback")."""
from __future__ import annotations

import re

import pytest

from werkzeug.datastructures import MultiDict

from emulators.moodle import create_app

TOKEN = "0f" * 16
STUDENT = 13                     # student1 in Field Geology (course 2)


@pytest.fixture
def app():
    return create_app("demo", siteurl="http://moodle.test", service_token=TOKEN)


@pytest.fixture
def ws(app):
    client = app.test_client()

    def call(function, pairs=(), fmt="json"):
        data = [("wstoken", TOKEN), ("wsfunction", function), ("moodlewsrestformat", fmt), *pairs]
        r = client.post("/webservice/rest/server.php", data=MultiDict([(k, str(v)) for k, v in data]))
        assert r.status_code == 200
        return r.get_json()
    return call


def save_grade(ws, assignmentid, grade, addattempt=0, userid=STUDENT, feedback="<p>ok</p>", **extra):
    pairs = [("assignmentid", assignmentid), ("userid", userid), ("grade", grade), ("attemptnumber", -1),
             ("addattempt", addattempt), ("workflowstate", ""), ("applytoall", 0)]
    if feedback is not None:
        pairs += [("plugindata[assignfeedbackcomments_editor][text]", feedback),
                  ("plugindata[assignfeedbackcomments_editor][format]", 1)]
    return ws("mod_assign_save_grade", pairs + list(extra.items()))


def attempt(ws, assignid, userid=STUDENT) -> int:
    status = ws("mod_assign_get_submission_status", [("assignid", assignid), ("userid", userid)])
    return status["lastattempt"]["submission"]["attemptnumber"]


def grades(ws, *assignmentids, since=0):
    answer = ws("mod_assign_get_grades", [(f"assignmentids[{i}]", a) for i, a in enumerate(assignmentids)]
                + [("since", since)])
    return {(a["assignmentid"], g["userid"]): g for a in answer["assignments"] for g in a["grades"]}


def reopen(app, aid, method, maxattempts=-1, gradepass=0):
    a = app.site.assignments[aid]
    a.attemptreopenmethod, a.maxattempts, a.gradepass = method, maxattempts, gradepass


def test_assignments_say_how_moodle_reopens(ws, app):
    answer = ws("mod_assign_get_assignments", [("courseids[0]", 2), ("includenotenrolledcourses", 1)])
    got = {a["id"]: (a["attemptreopenmethod"], a["maxattempts"]) for a in answer["courses"][0]["assignments"]}
    assert got == {1: ("manual", 3), 2: ("none", -1)}


def test_addattempt_is_ignored_without_a_word_when_reopening_is_none(ws, app):
    reopen(app, 1, "none")
    assert save_grade(ws, 1, 40, addattempt=1) is None          # the same null as a success
    assert attempt(ws, 1) == 0
    assert grades(ws, 1)[(1, STUDENT)]["grade"] == "40.00000"


def test_every_addattempt_opens_another_attempt_with_manual(ws, app):
    reopen(app, 1, "manual")
    save_grade(ws, 1, 40, addattempt=1)
    assert attempt(ws, 1) == 1
    assert (1, STUDENT) not in grades(ws, 1)                    # the new attempt has no grade yet
    save_grade(ws, 1, -1, addattempt=1)                         # resent after a lost answer: one more
    save_grade(ws, 1, -1, addattempt=1)
    assert attempt(ws, 1) == 3
    status = ws("mod_assign_get_submission_status", [("assignid", 1), ("userid", STUDENT)])
    assert [p["attemptnumber"] for p in status["previousattempts"]] == [2, 1, 0]     # newest first
    assert status["previousattempts"][2]["grade"]["grade"] == "40.00000"


def test_manual_reopening_stops_at_maxattempts(ws, app):
    reopen(app, 1, "manual", maxattempts=2)
    save_grade(ws, 1, 40, addattempt=1)
    save_grade(ws, 1, 45, addattempt=1)
    assert attempt(ws, 1) == 1
    assert grades(ws, 1)[(1, STUDENT)]["grade"] == "45.00000"


def test_untilpass_reopens_by_itself_below_the_grade_to_pass(ws, app):
    reopen(app, 1, "untilpass", gradepass=50)
    save_grade(ws, 1, 70)
    assert attempt(ws, 1) == 0                                  # passed: stays
    save_grade(ws, 1, 30)                                       # re-graded below the pass mark
    assert attempt(ws, 1) == 1
    reopen(app, 1, "untilpass", gradepass=0)                    # no grade to pass: never reopens
    save_grade(ws, 1, 10)
    assert attempt(ws, 1) == 1


def test_get_grades_lists_the_latest_attempt_only(ws, app):
    reopen(app, 1, "manual")
    save_grade(ws, 1, 40, addattempt=1)
    save_grade(ws, 1, 91.5)
    g = grades(ws, 1)[(1, STUDENT)]
    assert (g["attemptnumber"], g["grade"]) == (1, "91.50000")


def test_grade_above_the_maximum_is_dropped_but_the_feedback_kept(ws, app):
    app.site.assignments[1].grade = 50
    assert save_grade(ws, 1, 70, feedback="<p>new words</p>") is None
    assert app.site.grades[(1, STUDENT)]["grade"] is None
    assert app.site.grades[(1, STUDENT)]["feedback"] == "<p>new words</p>"


def test_regrading_without_plugindata_after_feedback_is_a_database_error(ws):
    save_grade(ws, 1, 60)
    assert save_grade(ws, 1, 61, feedback=None)["errorcode"] == "dmlwriteexception"


@pytest.mark.parametrize("pairs", [
    [("plugindata[assignfeedbackcomments_editr][text]", "x"), ("plugindata[assignfeedbackcomments_editr][format]", 1)],
    [("plugindata[assignfeedbackcomments_editor][text]", "x")],                       # no format
    [("plugindata[assignfeedbackcomments_editor][format]", 1)],                       # no text
])
def test_feedback_plugin_data_is_validated(ws, pairs):
    got = save_grade(ws, 1, 60, feedback=None, **dict(pairs))
    assert got["errorcode"] == "invalidparameter"


@pytest.mark.parametrize("function, pairs", [
    ("core_user_get_users_by_field", [("field", "id"), ("values[0]", "abc")]),
    ("core_webservice_get_site_info", [("_", "123")]),
    ("core_enrol_get_users_courses", [("userid", 13), ("returnusercount", "true")]),
    ("core_enrol_get_users_courses", [("userid", 13), ("returnusercount", "false")]),
])
def test_bad_parameters_are_refused(ws, function, pairs):
    assert ws(function, pairs)["errorcode"] == "invalidparameter"


def test_a_decimal_comma_grade_is_refused(ws, app):
    assert save_grade(ws, 1, "85,5")["errorcode"] == "invalidparameter"
    assert (1, STUDENT) not in app.site.grades


def test_repeated_list_parameters_are_all_kept(ws):
    save_grade(ws, 1, 60)
    save_grade(ws, 2, 6)
    answer = ws("mod_assign_get_grades", [("assignmentids[]", 2), ("assignmentids[]", 1)])
    assert [a["assignmentid"] for a in answer["assignments"]] == [1, 2]


def test_a_teacher_grades_in_moodles_grader(app, ws):
    client = app.test_client()
    client.post("/login/index.php", data={"username": "teacher1", "password": "demo"})
    url = f"/mod/assign/view.php?id=101&action=grader&userid={STUDENT}"
    page = client.get(url)
    sesskey = re.search(r'name="sesskey" value="([^"]+)"', page.text).group(1)
    assert client.post(url, data={"sesskey": sesskey, "grade": "101", "feedback": "x"}).status_code == 200
    assert client.post(url, data={"grade": "77", "feedback": "x"}).status_code == 400      # no sesskey
    r = client.post(url, data={"sesskey": sesskey, "grade": "77", "feedback": "<p>Good in Moodle</p>"})
    assert r.status_code == 302
    g = grades(ws, 1)[(1, STUDENT)]
    assert (g["grade"], g["grader"]) == ("77.00000", 11)                 # teacher1, not the service account
    assert app.site.grades[(1, STUDENT)]["feedback"] == "<p>Good in Moodle</p>"
