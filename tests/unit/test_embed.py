"""The Moodle plugin's signed player links, verified by the portal: the PHP signer and the
Python verifier must agree byte for byte."""
import subprocess
import time
from pathlib import Path

import pytest

from portal.services.embed import EmbedRefused, resolve, signature
from tests.support.portal import make_app

PLUGIN_EMBED = Path(__file__).resolve().parents[2] / "moodle/assignsubmission_streamportal/classes/embed.php"


def php_signature(secret, uid, viewer, cmid, expires) -> str:
    code = (f"require '{PLUGIN_EMBED}'; echo \\assignsubmission_streamportal\\embed::signature("
            f"'{secret}', '{uid}', {viewer}, {cmid}, {expires});")
    return subprocess.run(["php", "-r", code], capture_output=True, text=True, check=True).stdout


def test_php_and_python_sign_alike():
    assert php_signature("s3cret", "abc123", 42, 7, 1700000000) == signature("s3cret", "abc123", 42, 7, 1700000000)


@pytest.fixture
def video(make):
    course = make.course()
    sub = make.submission(make.assignment(course), status="ready")
    teacher = make.teacher(course)
    return sub, teacher


def args(sub, viewer, secret="s3cret", expires=None, over=None):
    expires = expires or int(time.time()) + 300
    a = dict(uid=sub.stream_uid, viewer=str(viewer.moodle_id), cmid=str(sub.assignment.cmid),
             expires=str(expires), sig=signature(secret, sub.stream_uid, viewer.moodle_id, sub.assignment.cmid, expires))
    a.update(over or {})
    return a


def test_valid_link_resolves_viewer_and_submission(video, db):
    sub, teacher = video
    user, found = resolve("s3cret", args(sub, teacher))
    assert (user.id, found.id) == (teacher.id, sub.id)


@pytest.mark.parametrize("change,status", [(dict(sig="0" * 64), 403), (dict(expires="1"), 403),
                                           (dict(cmid="999999"), 403), (dict(viewer="x"), 400)])
def test_bad_links_are_refused(video, db, change, status):
    sub, teacher = video
    with pytest.raises(EmbedRefused) as refused:
        resolve("s3cret", args(sub, teacher, over=change))
    assert refused.value.status == status


def test_embed_page_checks_the_viewers_own_rights(video, database_url, app, db, make):
    sub, teacher = video
    portal = make_app(database_url, embed_secret="s3cret")
    client = portal.test_client()
    stranger = make.user()
    r = client.get("/embed/moodle", query_string=args(sub, stranger))
    assert r.status_code == 404 and "iframe" not in r.text
    r = client.get("/embed/moodle", query_string=args(sub, teacher))
    # the teacher may watch; without a signing key the portal says so instead of a player
    assert r.status_code == 409 and "signing key" in r.text
