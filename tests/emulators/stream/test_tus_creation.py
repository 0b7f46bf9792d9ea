"""tus creation through the API: headers in, Location and stream-media-id out; 5 GiB+ accepted."""
import requests

from .helpers import create


def test_creation_answers_location_and_media_id(stream_emulator, stream_client):
    uid, url = create(stream_emulator, 5 * 1024**3 + 1, requiresignedurls="", maxdurationseconds=600)
    assert url.startswith(stream_emulator.url + "/tus/" + uid)
    video = stream_client.get_video(uid)
    assert video["status"]["state"] == "pendingupload" and video["requireSignedURLs"] is True
    assert video["maxDurationSeconds"] == 600 and video["creator"] == "moodle-5"


def test_creation_without_a_length_or_tus_header_is_refused(stream_emulator):
    base = f"{stream_emulator.base_url}/accounts/{stream_emulator.account_id}/stream?direct_user=true"
    auth = {"Authorization": f"Bearer {stream_emulator.api_token}"}
    r = requests.post(base, headers={**auth, "Tus-Resumable": "1.0.0"})
    assert r.status_code == 400 and r.json()["success"] is False and r.json()["errors"][0]["code"]
    assert requests.post(base, headers={**auth, "Upload-Length": "10"}).status_code == 400
