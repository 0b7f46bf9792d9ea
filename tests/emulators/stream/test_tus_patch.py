"""tus PATCH: offsets, Stream's chunk rules, bounds, content type."""
import requests

from .helpers import MiB, create, patch


def test_chunks_follow_streams_rules_and_offset_advances(stream_emulator):
    uid, url = create(stream_emulator, 6 * MiB)
    r = patch(url, 0, b"x" * (5 * MiB))
    assert r.status_code == 204 and r.headers["Upload-Offset"] == str(5 * MiB)
    r = patch(url, 5 * MiB, b"y" * MiB)                      # the last chunk may be any size
    assert r.status_code == 204 and r.headers["Upload-Offset"] == str(6 * MiB)
    assert stream_emulator.data_dir.joinpath("media", uid).stat().st_size == 6 * MiB


def test_small_or_misaligned_middle_chunk_is_refused(stream_emulator):
    _, url = create(stream_emulator, 20 * MiB)
    assert patch(url, 0, b"x" * MiB).status_code == 400                       # < 5 MiB, not last
    assert patch(url, 0, b"x" * (5 * MiB + 1000)).status_code == 400          # not a 256 KiB multiple
    assert requests.head(url, headers={"Tus-Resumable": "1.0.0"}).headers["Upload-Offset"] == "0"


def test_offset_mismatch_is_409_and_writes_nothing(stream_emulator):
    uid, url = create(stream_emulator, 6 * MiB)
    r = patch(url, 1024, b"x" * (5 * MiB))
    assert r.status_code == 409 and r.headers["Upload-Offset"] == "0"
    assert stream_emulator.data_dir.joinpath("media", uid).stat().st_size == 0


def test_bytes_past_upload_length_are_refused(stream_emulator):
    _, url = create(stream_emulator, 1000)
    assert patch(url, 0, b"x" * 1001).status_code == 400


def test_wrong_content_type_is_415(stream_emulator):
    _, url = create(stream_emulator, 1000)
    r = requests.patch(url, data=b"x" * 10, headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                                                     "Content-Type": "application/json"})
    assert r.status_code == 415


def test_expired_upload_is_gone(stream_emulator):
    uid, url = create(stream_emulator, 6 * MiB)
    stream_emulator.expire_upload(uid)
    assert patch(url, 0, b"x" * (5 * MiB)).status_code == 410
    assert requests.head(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 404
