"""The emulator refuses what Stream refuses (openapi-stream.json), with a 400 envelope, never a 500;
and accepts what Stream accepts."""
import threading
import json
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from .helpers import create
from .test_api import api


def ahead(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def refused(r) -> bool:
    return r.status_code == 400 and r.json()["success"] is False and r.json()["errors"][0]["message"]


@pytest.mark.parametrize("body", ["-3.2e16", "[1, 2]", '"text"', "{not json"])
def test_a_body_that_is_not_an_object_is_a_400(stream_emulator, body):
    uid, _ = create(stream_emulator, 100)
    headers = {"Content-Type": "application/json"}
    for path, method in (("/webhook", "PUT"), ("/direct_upload", "POST"), (f"/{uid}", "POST"),
                         (f"/{uid}/token", "POST")):
        assert refused(api(stream_emulator, path, method, data=body, headers=headers)), (path, body)


def test_list_honours_limit_after_before_and_counts_are_integers(stream_emulator):
    uids = [create(stream_emulator, 100, name=f"list-{i}.mp4")[0] for i in range(3)]
    assert len(api(stream_emulator, params={"limit": "1"}).json()["result"]) == 1
    created = [api(stream_emulator, f"/{u}").json()["result"]["created"] for u in uids]
    after = api(stream_emulator, params={"after": created[0], "asc": "true", "search": "list-"}).json()["result"]
    assert [v["uid"] for v in after][:2] == uids[1:]
    before = api(stream_emulator, params={"before": created[1], "search": "list-"}).json()["result"]
    assert uids[0] in [v["uid"] for v in before] and uids[1] not in [v["uid"] for v in before]
    counted = api(stream_emulator, params={"include_counts": "true", "limit": "1", "search": "list-"}).json()
    assert isinstance(counted["total"], int) and isinstance(counted["range"], int) and counted["total"] >= 3
    for bad in ({"start": "notadate"}, {"before": "yesterday"}, {"limit": "0"}, {"limit": "1001"}, {"limit": "x"}):
        assert refused(api(stream_emulator, params=bad)), bad


def test_server_side_tus_without_direct_user_is_valid(stream_emulator):
    r = requests.post(f"{stream_emulator.base_url}/accounts/{stream_emulator.account_id}/stream", headers={
        "Authorization": f"Bearer {stream_emulator.api_token}", "Tus-Resumable": "1.0.0", "Upload-Length": "100"},
        timeout=10)
    assert r.status_code == 201 and r.headers["stream-media-id"] and r.headers["Location"]


def test_max_duration_over_21600_is_refused_everywhere(stream_emulator):
    import base64
    meta = "maxdurationseconds " + base64.b64encode(b"30000").decode()
    r = requests.post(f"{stream_emulator.base_url}/accounts/{stream_emulator.account_id}/stream?direct_user=true",
                      headers={"Authorization": f"Bearer {stream_emulator.api_token}", "Tus-Resumable": "1.0.0",
                               "Upload-Length": "100", "Upload-Metadata": meta}, timeout=10)
    assert refused(r)
    assert refused(api(stream_emulator, "/direct_upload", "POST", json={"maxDurationSeconds": 30000}))
    uid, _ = create(stream_emulator, 100, maxdurationseconds=21600)      # the maximum itself is fine
    assert refused(api(stream_emulator, f"/{uid}", "POST", json={"maxDurationSeconds": 30000}))


def test_scheduled_deletion_less_than_30_days_ahead_is_refused(stream_emulator):
    import base64
    meta = "scheduleddeletion " + base64.b64encode(ahead(8).encode()).decode()
    r = requests.post(f"{stream_emulator.base_url}/accounts/{stream_emulator.account_id}/stream?direct_user=true",
                      headers={"Authorization": f"Bearer {stream_emulator.api_token}", "Tus-Resumable": "1.0.0",
                               "Upload-Length": "100", "Upload-Metadata": meta}, timeout=10)
    assert refused(r)
    assert refused(api(stream_emulator, "/direct_upload", "POST",
                       json={"maxDurationSeconds": 60, "scheduledDeletion": ahead(8)}))
    uid, _ = create(stream_emulator, 100, scheduleddeletion=ahead(31))
    assert api(stream_emulator, f"/{uid}").json()["result"]["scheduledDeletion"]
    assert refused(api(stream_emulator, f"/{uid}", "POST", json={"scheduledDeletion": ahead(8)}))
    cleared = api(stream_emulator, f"/{uid}", "POST", json={"scheduledDeletion": None})
    assert cleared.status_code == 200 and "scheduledDeletion" not in cleared.json()["result"]


def test_the_invented_analytics_path_is_not_found(stream_emulator):
    r = api(stream_emulator, "/analytics/views", params={"since": "2026-01-01", "until": "2026-01-02"})
    assert r.status_code == 404 and r.json()["success"] is False


def test_webhook_body_is_the_public_video_object(stream_emulator, make_video):
    got = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api(stream_emulator, "/webhook", "PUT", json={"notificationUrl": f"http://127.0.0.1:{server.server_port}/h"})
        uid = stream_emulator.ready_video(make_video(3))
        for _ in range(200):
            if got:
                break
            threading.Event().wait(0.05)
        body = got[0]
        assert body["uid"] == uid and body["status"]["state"] == "ready"
        assert "uploadLength" not in body and "uploadOffset" not in body
        assert "scheduledDeletion" not in body          # omitted when unset, as in the video object
        assert body == api(stream_emulator, f"/{uid}").json()["result"] | {"modified": body["modified"]}
    finally:
        server.shutdown()
        api(stream_emulator, "/webhook", "DELETE")
