"""tus HEAD, OPTIONS (CORS for the portal's origin) and DELETE (termination)."""
import requests

from .helpers import MiB, create, patch


def test_head_reports_offset_and_length(stream_emulator):
    _, url = create(stream_emulator, 6 * MiB)
    patch(url, 0, b"x" * (5 * MiB))
    r = requests.head(url, headers={"Tus-Resumable": "1.0.0"})
    assert (r.status_code, r.headers["Upload-Offset"], r.headers["Upload-Length"]) == (200, str(5 * MiB), str(6 * MiB))
    assert r.headers["Cache-Control"] == "no-store"


def test_options_and_cors_for_the_allowed_origin_only(stream_emulator):
    _, url = create(stream_emulator, 100, allowedorigins="portal.example.org")
    pre = requests.options(url, headers={"Origin": "https://portal.example.org",
                                         "Access-Control-Request-Method": "PATCH"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://portal.example.org"
    assert "Upload-Offset" in pre.headers["Access-Control-Allow-Headers"]
    assert "PATCH" in pre.headers["Access-Control-Allow-Methods"] and pre.headers["Tus-Version"] == "1.0.0"
    head = requests.head(url, headers={"Tus-Resumable": "1.0.0", "Origin": "https://portal.example.org"})
    assert "Upload-Offset" in head.headers["Access-Control-Expose-Headers"]
    other = requests.head(url, headers={"Tus-Resumable": "1.0.0", "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_delete_terminates_the_upload(stream_emulator, stream_client):
    uid, url = create(stream_emulator, 100)
    assert requests.delete(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 204
    assert requests.head(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 404
    assert stream_emulator.video(uid) is None
