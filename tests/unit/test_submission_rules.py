"""The server's own checks of an upload claim, and the video state machine."""

import pytest

from portal.services import submissions
from portal.services.submissions import UploadClaim, UploadRefused, apply_video
from portal.uploads.tus import parse_metadata


def claim(**kw):
    values = dict(length=10_000_000, filename="walk.mp4", filetype="video/mp4", duration_seconds=120.0,
                  fingerprint="v1-x")
    values.update(kw)
    return UploadClaim(**values)


@pytest.mark.parametrize("kw,status,words", [
    (dict(length=6 * 1024**3), 413, "up to"),
    (dict(filetype="application/pdf", filename="notes.pdf"), 415, "not an accepted video type"),
    (dict(duration_seconds=31 * 60), 422, "31.0 minutes"),
    (dict(duration_seconds=None), 422, "could not be read"),
    (dict(length=0), 400, "empty"),
])
def test_claims_over_the_limits_are_refused_in_words(make, kw, status, words):
    a = make.assignment(max_minutes=30)
    with pytest.raises(UploadRefused) as refused:
        submissions.check_claim(a, claim(**kw))
    assert refused.value.status == status and words in refused.value.message


def test_claim_within_limits_passes(make):
    submissions.check_claim(make.assignment(max_minutes=30), claim())


def test_tus_metadata_parsing():
    assert parse_metadata("filename d2Fsay5tcDQ=,requiresignedurls,duration MTIw") == \
        {"filename": "walk.mp4", "requiresignedurls": "", "duration": "120"}
    with pytest.raises(UploadRefused):
        parse_metadata("filename not-base64!")


def video(state, **kw):
    return {"uid": "u", "status": {"state": state, **kw.pop("status", {})}, **kw}


def test_states_move_forward_only(make, app):
    sub = make.submission(status="uploading")
    assert apply_video(sub, video("inprogress")) and sub.status == "processing"
    assert apply_video(sub, video("ready", duration=12.5, size=999)) and sub.status == "ready"
    assert sub.duration_seconds == 12.5 and sub.delete_after is not None and sub.upload_url is None
    assert not apply_video(sub, video("inprogress"))       # late, out-of-order event
    assert not apply_video(sub, video("error"))            # ready is final
    assert sub.status == "ready"


def test_ready_queues_the_video_record_for_moodle_once(make, db):
    from portal.models import OutboxMessage

    sub = make.submission(status="processing")
    apply_video(sub, video("ready", duration=3.0))
    db.session.commit()
    apply_video(sub, video("ready", duration=3.0))
    rows = db.session.query(OutboxMessage).all()
    assert [(r.kind, r.payload["streamuid"], r.payload["userid"]) for r in rows] == \
        [("record_video", sub.stream_uid, sub.student.moodle_id)]


def test_error_explains_what_to_do(make):
    sub = make.submission(status="processing")
    apply_video(sub, video("error", status={"errorReasonCode": "ERR_NON_VIDEO"}))
    assert sub.status == "error" and "MP4" in sub.error_message


def test_retention_follows_assignment_then_company_then_site(make, app):
    company = make.company(retention_days=30)
    course = make.course(company)
    assert submissions.retention_days(make.assignment(course)) == 30
    assert submissions.retention_days(make.assignment(course, retention_days=10)) == 10
    assert submissions.retention_days(make.assignment(make.course())) == app.config["SETTINGS"].retention_days


def test_human_sizes():
    assert submissions.human_size(5 * 1024**3) == "5 GB"            # what Moodle's assignment page says
    assert submissions.human_size(int(1.5 * 1024**2)) == "1.5 MB"
    assert submissions.human_size(512) == "512 bytes" and submissions.human_size(6 * 1024**4) == "6,144 GB"


def test_assignment_intro_becomes_readable_text():
    from portal.services.roster import plain_text

    intro = ('<p>Record your fieldwork and upload it in the <a href="http://p/a/101">Stream Portal</a>.</p>'
             '<p>Tips&nbsp;&amp; rules:<br>max 30&nbsp;min</p>')
    assert plain_text(intro) == "Record your fieldwork and upload it in the Stream Portal. Tips & rules: max 30 min"
