"""The video record in Moodle's companion plugin carries the time the video became ready
(REAL-SITE.md: `record_video` with status ready stored readyat = 0)."""
from __future__ import annotations

from datetime import timedelta

from portal.models import utcnow
from portal.services.submissions import record_video_in_moodle
from tests.integration.test_grade_sync import drain


def test_a_video_recorded_as_ready_has_streams_ready_time_in_moodle(live_portal, moodle_emulator, make, db):
    course = make.course(make.company())
    a = make.assignment(course, cmid=101, moodle_id=1)
    student = make.student(course, username="student1")
    student.moodle_id = moodle_emulator.user("student1").id
    ready_at = (utcnow() - timedelta(minutes=7)).replace(microsecond=0)
    sub = make.submission(a, student, status="ready", uploaded_at=ready_at - timedelta(minutes=2),
                          ready_at=ready_at, duration_seconds=12.5)
    record_video_in_moodle(sub)
    db.session.commit()
    assert drain(live_portal.app) == 1
    video = moodle_emulator.app.site.videos[sub.stream_uid]
    assert video["status"] == "ready" and video["readyat"] == int(ready_at.timestamp())


def test_record_video_as_ready_never_leaves_readyat_at_zero(moodle_emulator):
    """The plugin's own fix, as the emulator follows it: record_video alone sets a ready time."""
    client = moodle_emulator.client()
    student = moodle_emulator.user("student1").id
    client.record_video(assignmentid=1, userid=student, streamuid="a" * 32, portalsubmissionid="sub-1",
                        status="ready", uploadedat=1_700_000_000)
    [video] = client.get_videos(assignmentids=[1], userid=student)["videos"]
    assert video["readyat"] > 0
