"""The portal's Stream client over HTTP against the emulator (responses only where the emulator
cannot produce the case)."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from tusclient import client as tus

from portal.services.stream import (StreamAuthError, StreamClient, StreamNotFound, StreamRateLimited,
                                    StreamUnavailable, WebhookSignatureError, sign_playback_token,
                                    verify_webhook)


def test_tuspy_upload_reaches_ready_with_the_right_duration(stream_client, stream_emulator, make_video):
    path = make_video(4)
    upload = stream_client.create_tus_upload(
        upload_length=path.stat().st_size, creator="42", name="walk.mp4", max_duration_seconds=60,
        allowed_origins=("portal.example.org",),
        scheduled_deletion=datetime.now(timezone.utc) + timedelta(days=97))
    tus.TusClient(upload.upload_url).uploader(str(path), url=upload.upload_url, chunk_size=5 * 1024 * 1024).upload()
    stream_emulator.wait_for_state(upload.uid, "ready")
    video = stream_client.get_video(upload.uid)
    assert 3.9 <= video["duration"] <= 4.2 and video["creator"] == "42" and video["requireSignedURLs"]
    assert video["allowedOrigins"] == ["portal.example.org"] and video["scheduledDeletion"]
    assert upload.uid in [v["uid"] for v in stream_client.list_videos(creator="42")]
    assert stream_client.update_video(upload.uid, meta={"name": "x"})["meta"]["name"] == "x"
    stream_client.delete_video(upload.uid)
    with pytest.raises(StreamNotFound):
        stream_client.get_video(upload.uid)


def test_wrong_token_is_an_auth_error(stream_emulator):
    bad = StreamClient(stream_emulator.base_url, stream_emulator.account_id, "wrong")
    with pytest.raises(StreamAuthError) as err:
        bad.get_video("a" * 32)
    assert err.value.codes == [10000]


def test_signing_key_and_webhook_secret(stream_client):
    key = stream_client.create_signing_key()
    assert "PRIVATE KEY" in key.pem and key.id and "PRIVATE" not in repr(key)
    assert len(stream_client.set_webhook("http://127.0.0.1:9/webhooks/stream")) >= 32


def test_emulator_down_is_a_clear_error_and_creates_nothing(stream_emulator):
    down = StreamClient(stream_emulator.base_url.replace(str(stream_emulator.server.port), "9"),
                        stream_emulator.account_id, stream_emulator.api_token, retries=1)
    with pytest.raises(StreamUnavailable, match="could not be reached"):
        down.create_tus_upload(upload_length=10, creator="1", name="x", max_duration_seconds=5)
    with pytest.raises(StreamUnavailable):
        down.get_video("a" * 32)


@responses.activate
def test_rate_limit_is_retried_honouring_retry_after_then_raised():
    url = "https://api.example/client/v4/accounts/acc/stream/abc"
    responses.get(url, status=429, headers={"Retry-After": "0"}, json={"success": False, "errors": [
        {"code": 10429, "message": "Too many requests"}], "messages": [], "result": None})
    with pytest.raises(StreamRateLimited) as err:
        StreamClient("https://api.example/client/v4", "acc", "t").get_video("abc")
    assert err.value.codes == [10429] and len(responses.calls) == 3


@responses.activate
def test_server_error_then_success_is_retried_for_reads_but_creation_is_never_retried():
    base = "https://api.example/client/v4/accounts/acc/stream"
    responses.get(f"{base}/abc", status=502, body="bad gateway")
    responses.get(f"{base}/abc", json={"success": True, "errors": [], "messages": [], "result": {"uid": "abc"}})
    client = StreamClient("https://api.example/client/v4", "acc", "t")
    assert client.get_video("abc") == {"uid": "abc"}
    responses.post(base, status=503, body="")
    with pytest.raises(StreamUnavailable):
        client.create_tus_upload(upload_length=1, creator="1", name="x", max_duration_seconds=5)
    assert [c.request.method for c in responses.calls].count("POST") == 1


def test_playback_through_a_signed_iframe_and_refusals(stream_client, stream_emulator, make_video):
    path = make_video(3)
    uid = stream_emulator.ready_video(path)
    key = stream_client.create_signing_key()
    good = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60)
    page = requests.get(f"{stream_emulator.customer_domain}/{good}/iframe")
    assert page.status_code == 200 and "<video" in page.text
    assert requests.get(f"{stream_emulator.customer_domain}/{good}/video.mp4").content == path.read_bytes()
    expired = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60, now=1_600_000_000)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    wrong_kid = sign_playback_token(uid, "0" * 32, key.pem, ttl_seconds=60)
    plain = uid                             # the video requires signed URLs
    for token, why in ((expired, "expired"), (tampered, "signature"), (wrong_kid, "unknown key"),
                       (plain, "requires a signed URL")):
        r = requests.get(f"{stream_emulator.customer_domain}/{token}/iframe")
        assert r.status_code == 401 and why in r.text and "<video" not in r.text
        assert requests.get(f"{stream_emulator.customer_domain}/{token}/video.mp4").status_code == 401
    blocked = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60,
                                  access_rules=[{"type": "ip.src", "ip": ["127.0.0.0/8"], "action": "block"},
                                                {"type": "any", "action": "allow"}])
    assert requests.get(f"{stream_emulator.customer_domain}/{blocked}/iframe").status_code == 401


def test_webhook_is_signed_and_verifiable(stream_emulator, make_video, stream_client):
    """The emulator's webhook on ready, received by a small local server, verifies with the secret."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((self.headers["Webhook-Signature"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        secret = stream_client.set_webhook(f"http://127.0.0.1:{server.server_port}/hook")
        uid = stream_emulator.ready_video(make_video(3))
        for _ in range(100):
            if got:
                break
            threading.Event().wait(0.05)
        header, body = got[0]
        verify_webhook(body, header, secret)
        assert json.loads(body)["uid"] == uid and json.loads(body)["status"]["state"] == "ready"
        with pytest.raises(WebhookSignatureError):
            verify_webhook(body, header, "another-secret")
    finally:
        server.shutdown()
        stream_client.set_webhook("http://127.0.0.1:9/none")


def test_minutes_viewed_are_counted_from_the_player_and_reach_usage(stream_client, stream_emulator, make_video,
                                                                    live_portal, make, db):
    """The player's beacon counts minutes watched; the portal's usage collection reads them back."""
    from datetime import datetime, timedelta, timezone

    from portal.models import UsageDay
    from portal.services import usage

    uid = stream_emulator.ready_video(make_video(3))
    key = stream_client.create_signing_key()
    token = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60)
    assert requests.post(f"{stream_emulator.customer_domain}/{token}/beacon", data="90").status_code == 204
    assert requests.post(f"{stream_emulator.customer_domain}/bad-token/beacon", data="90").status_code == 401
    today = datetime.now(timezone.utc).date()
    rows = stream_client.minutes_viewed(today, today + timedelta(days=1))       # GraphQL analytics
    assert rows[(uid, today.isoformat())] == 1.5
    course = make.course(make.company())
    make.submission(make.assignment(course), stream_uid=uid, status="ready", duration_seconds=3.0,
                    uploaded_at=datetime.now(timezone.utc), ready_at=datetime.now(timezone.utc))
    with live_portal.app.app_context():
        from portal.extensions import db as pdb
        usage.collect(today, usage.stream_delivered_source()(today))
        pdb.session.commit()
    row = db.session.query(UsageDay).filter_by(course_id=course.id).one()
    assert row.minutes_delivered == 1.5


def test_stream_down_at_creation_leaves_nothing_half_written(client, make, db):
    """The session app's Stream is unreachable: the reservation is removed, the student can retry."""
    import base64

    from portal.models import Submission
    from tests.support.login import login

    course = make.course()
    assignment = make.assignment(course)
    token = login(client, make.student(course))
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"filename": "a.mp4", "filetype": "video/mp4", "duration": "10", "fingerprint": "x"}.items())
    r = client.post(f"/uploads/{assignment.cmid}/tus", headers={"X-CSRFToken": token, "Tus-Resumable": "1.0.0",
                                                                "Upload-Length": "1000", "Upload-Metadata": meta})
    assert r.status_code == 502 and "Nothing was lost" in r.json["message"]
    assert db.session.query(Submission).count() == 0


def test_flask_stream_commands_print_configuration(live_portal, stream_emulator):
    with live_portal.app.app_context():
        runner = live_portal.app.test_cli_runner()
        key = runner.invoke(args=["stream", "create-key"])
        hook = runner.invoke(args=["stream", "register-webhook"])
    assert key.exit_code == 0 and "STREAM_SIGNING_KEY_ID=" in key.output and "PRIVATE KEY" in key.output
    assert hook.exit_code == 0 and hook.output.startswith("STREAM_WEBHOOK_SECRET=")
    assert stream_emulator.app.extensions["stream_store"].doc("webhook", {})["notificationUrl"] == \
        f"{live_portal.url}/webhooks/stream"


def test_minutes_viewed_span_windows_and_errors_from_graphql(stream_client, stream_emulator):
    """Ranges longer than 31 days go in several queries; errors carried in `errors` (HTTP 200 or
    not) raise typed errors; the token's missing analytics right is named."""
    from datetime import date, timedelta

    from portal.services.stream import StreamAuthError, StreamClient, StreamValidationError

    today = date.today()
    assert isinstance(stream_client.minutes_viewed(today - timedelta(days=80), today + timedelta(days=1)), dict)
    with pytest.raises(StreamValidationError, match="older than"):
        stream_client.minutes_viewed(today - timedelta(days=120), today - timedelta(days=100))
    wrong = StreamClient(stream_emulator.base_url, stream_emulator.account_id, "wrong-token", retries=0)
    with pytest.raises(StreamAuthError, match="Account Analytics Read"):
        wrong.minutes_viewed(today, today + timedelta(days=1))
    other = StreamClient(stream_emulator.base_url, "0" * 32, stream_emulator.api_token, retries=0)
    with pytest.raises(StreamAuthError):
        other.minutes_viewed(today, today + timedelta(days=1))
