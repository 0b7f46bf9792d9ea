"""The REST API: envelope and auth, contract schemas, lifecycle, keys, webhooks, usage, captions."""
import json
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .helpers import create, upload_file

CONTRACT = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "cloudflare-stream" / "openapi-stream.json"


@pytest.fixture(scope="module")
def spec():
    return json.loads(CONTRACT.read_text())


def validate(spec, path: str, method: str, body, status: str = "200"):
    """Check a response body against the contract's schema for that operation."""
    registry = Registry().with_resource("urn:spec", Resource.opaque(spec))
    responses = spec["paths"][path][method]["responses"]
    schema = responses.get(status, responses.get("4XX"))["content"]["application/json"]["schema"]
    schema = {"$ref": "urn:spec#" + schema["$ref"][1:]} if "$ref" in schema else schema

    def rewrite(node):
        if isinstance(node, dict):
            return {k: ("urn:spec#" + v[1:] if k == "$ref" and v.startswith("#") else rewrite(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(n) for n in node]
        return node
    Draft202012Validator(rewrite(schema), registry=registry.with_resource(
        "urn:spec", Resource.opaque(rewrite(spec)))).validate(body)


def api(emu, path="", method="GET", token=None, **kw):
    headers = {"Authorization": f"Bearer {token or emu.api_token}", **kw.pop("headers", {})}
    return requests.request(method, f"{emu.base_url}/accounts/{emu.account_id}/stream{path}",
                            headers=headers, timeout=10, **kw)


def test_wrong_or_missing_token_gets_the_error_envelope(stream_emulator, spec):
    r = api(stream_emulator, token="nope")
    assert r.status_code == 401
    assert r.json() == {"result": None, "success": False, "errors": [{"code": 10000, "message": "Authentication error"}],
                        "messages": []}
    assert requests.get(f"{stream_emulator.base_url}/accounts/{stream_emulator.account_id}/stream").status_code == 401
    wrong_account = requests.get(f"{stream_emulator.base_url}/accounts/{'0' * 32}/stream",
                                 headers={"Authorization": f"Bearer {stream_emulator.api_token}"})
    assert wrong_account.status_code == 403


def test_unknown_uid_and_route_use_the_envelope(stream_emulator):
    r = api(stream_emulator, "/" + "a" * 32)
    assert r.status_code == 404 and r.json()["success"] is False
    r = api(stream_emulator, "/live_inputs")
    assert r.status_code == 501 and r.json()["errors"][0]["code"]


def test_video_lifecycle_to_ready_with_the_real_duration(stream_emulator, make_video, spec):
    uid = upload_file(stream_emulator, make_video(3), maxdurationseconds=60)
    video = stream_emulator.wait_for_state(uid, "ready")
    assert 2.9 <= video["duration"] <= 3.2 and video["input"] == {"width": 320, "height": 240}
    body = api(stream_emulator, f"/{uid}").json()
    validate(spec, "/accounts/{account_id}/stream/{identifier}", "get", body)
    listed = api(stream_emulator, params={"status": "ready"}).json()
    validate(spec, "/accounts/{account_id}/stream", "get", listed)
    assert uid in [v["uid"] for v in listed["result"]]


def test_non_video_ends_in_error(stream_emulator, tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"%PDF-1.4 not a video" * 100)
    uid = upload_file(stream_emulator, path)
    video = stream_emulator.wait_for_state(uid, "error")
    assert video["status"]["errorReasonCode"] == "ERR_NON_VIDEO"


def test_over_long_video_ends_in_error(stream_emulator, make_video):
    uid = upload_file(stream_emulator, make_video(3), maxdurationseconds=1)
    video = stream_emulator.wait_for_state(uid, "error")
    assert video["status"]["errorReasonCode"] == "ERR_DURATION_EXCEED_CONSTRAINT"


def test_update_and_delete(stream_emulator, spec):
    uid, _ = create(stream_emulator, 100)
    r = api(stream_emulator, f"/{uid}", "POST", json={"meta": {"name": "renamed"}, "requireSignedURLs": True,
                                                    "scheduledDeletion": "2027-03-01T00:00:00Z"})
    assert r.status_code == 200 and r.json()["result"]["meta"]["name"] == "renamed"
    assert r.json()["result"]["scheduledDeletion"] == "2027-03-01T00:00:00Z"
    assert api(stream_emulator, f"/{uid}", "POST", json={"nonsense": 1}).status_code == 400
    assert api(stream_emulator, f"/{uid}", "DELETE").status_code == 200
    assert api(stream_emulator, f"/{uid}").status_code == 404


def test_keys_webhook_usage_and_direct_upload(stream_emulator, spec):
    key = api(stream_emulator, "/keys", "POST").json()
    validate(spec, "/accounts/{account_id}/stream/keys", "post", key)
    assert key["result"]["id"] in [k["id"] for k in api(stream_emulator, "/keys").json()["result"]]
    hook = api(stream_emulator, "/webhook", "PUT", json={"notificationUrl": "http://127.0.0.1:9/hook"}).json()
    assert hook["result"]["secret"] and api(stream_emulator, "/webhook").json()["result"]["notificationUrl"].endswith("/hook")
    usage = api(stream_emulator, "/storage-usage").json()
    validate(spec, "/accounts/{account_id}/stream/storage-usage", "get", usage)
    direct = api(stream_emulator, "/direct_upload", "POST", json={"maxDurationSeconds": 60}).json()
    validate(spec, "/accounts/{account_id}/stream/direct_upload", "post", direct)
    assert api(stream_emulator, "/direct_upload", "POST", json={}).status_code == 400
    api(stream_emulator, "/webhook", "DELETE")


def test_basic_direct_upload_of_a_form(stream_emulator, make_video):
    direct = api(stream_emulator, "/direct_upload", "POST", json={"maxDurationSeconds": 60}).json()["result"]
    with open(make_video(3), "rb") as fh:
        assert requests.post(direct["uploadURL"], files={"file": fh}).status_code == 200
    stream_emulator.wait_for_state(direct["uid"], "ready")


def test_captions_generate_and_vtt(stream_emulator, make_video):
    uid = upload_file(stream_emulator, make_video(3))
    stream_emulator.wait_for_state(uid, "ready")
    assert api(stream_emulator, f"/{uid}/captions/en/generate", "POST").json()["result"]["status"] == "ready"
    vtt = api(stream_emulator, f"/{uid}/captions/en/vtt")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
