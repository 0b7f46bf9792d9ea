"""Playback a player can use (HLS manifest, fMP4 segments, thumbnail) and the GraphQL Analytics API
answering the contract's query from the emulator's record of what was played
(contracts/cloudflare-stream/analytics-captions-downloads.md §3.2, §4; hls-manifest.md)."""
import subprocess
from datetime import date, timedelta

import requests

from portal.services.stream import sign_playback_token

from .test_api import api

# analytics-captions-downloads.md §3.2, verbatim
DAILY = ("query StreamDaily($accountTag: string!, $start: Date, $end: Date, $uids: [string!], $after: string) "
         "{ viewer { accounts(filter: { accountTag: $accountTag }) { streamMinutesViewedAdaptiveGroups("
         "filter: { date_geq: $start, date_lt: $end, uid_in: $uids, uid_gt: $after } orderBy: [uid_ASC] "
         "limit: 1000) { sum { minutesViewed } dimensions { uid date } } } } }")


def graphql(emu, query, variables=None, token=None):
    return requests.post(f"{emu.base_url}/graphql", json={"query": query, "variables": variables or {}},
                         headers={"Authorization": f"Bearer {token or emu.api_token}"}, timeout=30)


def daily(emu, uids, start, end):
    return graphql(emu, DAILY, {"accountTag": emu.account_id, "start": start, "end": end,
                                "uids": uids, "after": ""})


def signed(emu, uid):
    key = emu.client().create_signing_key()
    return sign_playback_token(uid, key.id, key.pem, ttl_seconds=600)


def test_hls_manifest_segments_and_thumbnail_play_and_count_as_delivered(stream_emulator, make_video, tmp_path):
    uid = stream_emulator.ready_video(make_video(6), require_signed_urls=True)
    video = api(stream_emulator, f"/{uid}").json()["result"]
    assert requests.get(video["playback"]["hls"]).status_code == 401          # signed URLs only
    token = signed(stream_emulator, uid)
    hls = video["playback"]["hls"].replace(uid, token)
    master = requests.get(hls)
    assert master.status_code == 200 and master.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    lines = master.text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    assert any(line.startswith('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_audio"') for line in lines)
    inf = next(line for line in lines if line.startswith("#EXT-X-STREAM-INF:"))
    assert "RESOLUTION=320x240" in inf and 'CODECS="avc1.' in inf and 'AUDIO="group_audio"' in inf
    assert lines[-1].startswith("stream_t") and lines[-1].endswith(".m3u8")
    # a real player: ffmpeg reads the whole HLS stream back into a file of the video's length
    out = tmp_path / "played.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", hls, "-c", "copy", str(out)], check=True, timeout=120)
    played = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                   "csv=p=0", str(out)], capture_output=True, text=True).stdout)
    assert 5.5 <= played <= 6.5
    thumb = requests.get(video["thumbnail"].replace(uid, token))
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    today = date.today().isoformat()
    r = daily(stream_emulator, [uid], today, (date.today() + timedelta(days=1)).isoformat())
    body = r.json()
    assert r.status_code == 200 and body["errors"] is None
    rows = body["data"]["viewer"]["accounts"][0]["streamMinutesViewedAdaptiveGroups"]
    assert [row["dimensions"] for row in rows] == [{"uid": uid, "date": today}]
    assert abs(rows[0]["sum"]["minutesViewed"] - 0.1) < 0.02          # the 6 s segments delivered


def test_the_contract_query_answers_from_the_player_record(stream_emulator, make_video):
    uid = stream_emulator.ready_video(make_video(3))
    token = signed(stream_emulator, uid)
    assert requests.post(f"{stream_emulator.customer_domain}/{token}/beacon", data="90").status_code == 204
    today, tomorrow = date.today().isoformat(), (date.today() + timedelta(days=1)).isoformat()
    body = daily(stream_emulator, [uid, "0" * 32], today, tomorrow).json()
    assert body["errors"] is None
    assert body["data"]["viewer"]["accounts"][0]["streamMinutesViewedAdaptiveGroups"] == [
        {"sum": {"minutesViewed": 1.5}, "dimensions": {"uid": uid, "date": today}}]
    # a day without plays has no group at all (zero groups are left out)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert daily(stream_emulator, [uid], yesterday, today).json()["data"]["viewer"]["accounts"][0][
        "streamMinutesViewedAdaptiveGroups"] == []


def test_other_queries_get_graphql_errors_as_cloudflare_answers(stream_emulator):
    emu = stream_emulator
    today = date.today()

    def error_of(r, status=200):
        body = r.json()
        assert r.status_code == status and body["data"] is None and body["errors"], body
        assert "timestamp" in body["errors"][0]["extensions"]
        return body["errors"][0]["message"]
    assert "streamMinutesViewed" in error_of(graphql(emu, DAILY.replace("streamMinutesViewedAdaptiveGroups",
                                                                        "streamMinutesViewedGroups"),
                                                     {"accountTag": emu.account_id}))
    assert "count" in error_of(graphql(emu, DAILY.replace("sum { minutesViewed }", "count"),
                                       {"accountTag": emu.account_id}))
    assert error_of(daily(emu, None, (today - timedelta(days=40)).isoformat(), today.isoformat())).startswith(
        "query time range is too large")
    assert error_of(daily(emu, None, (today - timedelta(days=100)).isoformat(),
                          (today - timedelta(days=95)).isoformat())).startswith("cannot request data older than")
    assert error_of(daily(emu, None, "notadate", today.isoformat()))
    assert error_of(graphql(emu, "{ viewer { accounts(filter: {accountTag: \"%s\"}) { "
                            "streamMinutesViewedAdaptiveGroups(limit: 10) { sum { minutesViewed } } } } }" % ("0" * 32)),
                    403) == "not authorized for that account"
    assert error_of(graphql(emu, "query {", {}))
    assert error_of(graphql(emu, DAILY, token="wrong"), 401) == "Unauthorized"
    assert requests.post(f"{emu.base_url}/graphql", data="[1]", headers={
        "Authorization": f"Bearer {emu.api_token}", "Content-Type": "application/json"}).status_code == 400
