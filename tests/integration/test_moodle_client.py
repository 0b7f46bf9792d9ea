"""The portal's Moodle client over HTTP against the emulator."""
import pytest
import responses

from portal.services.moodle import (GradeUpdate, MoodleAccessDenied, MoodleClient, MoodleInvalidParameter,
                                    MoodleInvalidToken, MoodleRejected, MoodleUnavailable,
                                    MoodleUnknownFunction, encode_params)


def test_reads_used_at_sign_in(moodle_client, moodle_emulator):
    sam = moodle_emulator.user("student1")
    courses = moodle_client.users_courses(sam.id)
    assert [c["shortname"] for c in courses] == ["ECO102", "GEO101"]        # newer course first
    graders = moodle_client.enrolled_users(2, withcapability="mod/assign:grade", userfields="id,username,roles")
    assert {u["username"] for u in graders} == {"teacher1", "teacher2", "manager1"}
    assert all(set(u) <= {"id", "username", "fullname", "roles"} for u in graders)
    ctx = moodle_client.user_context(moodle_emulator.user("manager1").id)
    assert ctx["companies"] == [{"companyid": 1, "name": "Acme Field Studies", "shortname": "acme", "managertype": 1,
                                 "departmentid": 10, "educator": 0, "suspended": False}]
    assert [c["id"] for c in moodle_client.company_courses(1)] == [2, 3]
    assignments = moodle_client.assignments([2])["courses"][0]["assignments"]
    assert {a["cmid"] for a in assignments} == {101, 102}
    assert moodle_client.site_info()["username"] == "streamportal"


def test_save_grades_answers_null_and_reads_back_as_strings(moodle_client, moodle_emulator):
    sam, sally = moodle_emulator.user("student1"), moodle_emulator.user("student2")
    assert moodle_client.save_grades(1, [GradeUpdate(sam.id, 87.5, "<p>Good</p>"),
                                         GradeUpdate(sally.id, 40, "")]) is None
    grades = moodle_client.get_grades([1])["assignments"][0]["grades"]
    assert {g["userid"]: g["grade"] for g in grades} == {sam.id: "87.50000", sally.id: "40.00000"}
    assert moodle_emulator.grades(1)[sam.id]["feedback"] == "<p>Good</p>"


def test_over_max_grade_is_silently_dropped_so_the_portal_must_validate(moodle_client, moodle_emulator):
    sam = moodle_emulator.user("student1")
    moodle_client.save_grades(2, [GradeUpdate(sam.id, 50, "x")])      # grade max is 10
    assert moodle_emulator.grades(2)[sam.id]["grade"] is None


def test_invalid_and_revoked_tokens(moodle_emulator):
    with pytest.raises(MoodleInvalidToken):
        moodle_emulator.client("nope").site_info()
    moodle_emulator.app.site.tokens.pop(moodle_emulator.service_token)
    with pytest.raises(MoodleInvalidToken):
        moodle_emulator.client().site_info()


def test_unknown_function_and_bad_parameters(moodle_client):
    with pytest.raises(MoodleUnknownFunction):
        moodle_client.call("core_no_such_function")
    with pytest.raises(MoodleInvalidParameter):
        moodle_client.call("core_enrol_get_users_courses", userid="abc")
    with pytest.raises(MoodleInvalidParameter):
        moodle_client.call("core_enrol_get_users_courses", userid=5, cachebuster=1)


def test_access_denied_for_a_students_token(moodle_emulator):
    token = "feedface" * 4
    moodle_emulator.app.site.tokens[token] = {"userid": moodle_emulator.user("student1").id, "service": "streamportal"}
    with pytest.raises(MoodleAccessDenied):
        moodle_emulator.client(token).call("block_iomad_company_admin_get_companies",
                                           criteria=[{"key": "suspended", "value": "0"}])


def test_user_unknown_to_moodle(moodle_client):
    assert moodle_client.get_user(99999) is None
    assert moodle_client.users_courses(99999) == []
    with pytest.raises(MoodleRejected) as err:
        moodle_client.user_context(99999)
    assert err.value.errorcode == "invaliduser"


def test_moodle_down_is_unavailable_and_reads_are_retried(moodle_emulator):
    client = moodle_emulator.client()
    moodle_emulator.fail_next(2, 503, "html")
    assert client.site_info()["username"] == "streamportal"         # third try answers
    moodle_emulator.fail_next(1, 200, "html")                       # a maintenance page with HTTP 200
    with pytest.raises(MoodleUnavailable, match="not JSON"):
        client.save_grades(1, [GradeUpdate(13, 1)])                  # writes are never retried here
    moodle_emulator.server.stop()
    try:
        with pytest.raises(MoodleUnavailable):
            client.site_info()
    finally:
        moodle_emulator.server.start()


def test_bracket_encoding():
    assert encode_params({"grades": [{"userid": 5, "plugindata": {"x": {"text": "a"}}}], "flag": True}) == [
        ("grades[0][userid]", "5"), ("grades[0][plugindata][x][text]", "a"), ("flag", "1")]


@responses.activate
def test_maintenance_errorcode_is_unavailable():
    responses.post("https://m.example/webservice/rest/server.php", json={
        "exception": "moodle_exception", "errorcode": "sitemaintenance",
        "message": "The site is undergoing maintenance and is currently not available"})
    with pytest.raises(MoodleUnavailable):
        MoodleClient("https://m.example", "t", read_retries=0).site_info()
    assert "wstoken=t" in responses.calls[0].request.body and "wstoken" not in responses.calls[0].request.url
