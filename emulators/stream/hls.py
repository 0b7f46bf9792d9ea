"""HLS playback and thumbnails on the customer domain, so any player can use the video object's
`playback.hls` and `thumbnail` URLs: <domain>/<uid or signed token>/manifest/video.m3u8 and
/thumbnails/thumbnail.jpg (contracts/cloudflare-stream/analytics-captions-downloads.md §8).

The master playlist has the shape of the captured one in contracts/cloudflare-stream/hls-manifest.md:
version 6, independent segments, one audio group `group_audio`, relative `stream_t<hash>_r<n>.m3u8`
media playlists, fragmented-MP4 segments (Stream's changelog, 2026-04-13). ffmpeg cuts the
uploaded file (no re-encoding: one rendition, the original) the first time it is asked. Every
video segment served counts as minutes delivered in the analytics record, as Stream bills HLS.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file

from .analytics import record_minutes
from .player import opened, store

bp = Blueprint("hls", __name__)

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_durations: dict[str, dict[str, float]] = {}      # uid -> video segment name -> seconds
SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")
PROFILES = {"Baseline": "42", "Constrained Baseline": "42", "Main": "4d", "High": "64"}


def _lock(uid: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(uid, threading.Lock())


def _probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "stream=codec_type,codec_name,profile,level,width,height,r_frame_rate",
                          "-of", "json", str(path)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout or "{}")


def _cut(media: Path, folder: Path, which: str, playlist: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(media), "-map", f"0:{which}:0", "-c", "copy",
                    "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
                    "-hls_fmp4_init_filename", f"init_{which}.mp4", "-hls_segment_filename", f"seg_{which}_%04d.m4s",
                    playlist], cwd=folder, capture_output=True, timeout=600, check=True)


def _codecs(video: dict, audio: dict | None) -> str:
    profile = PROFILES.get(video.get("profile", ""), "64")
    constraint = "c0" if video.get("profile") == "Constrained Baseline" else "00"
    out = f"avc1.{profile}{constraint}{int(video.get('level') or 30):02x}"
    return out + (",mp4a.40.2" if audio else "")


def _build(video: dict) -> Path:
    """The HLS folder of `video`, cut on first use and kept beside the upload."""
    uid = video["uid"]
    folder = (store().root / "hls" / uid).resolve()      # send_file needs it absolute
    master = folder / "video.m3u8"
    with _lock(uid):
        if master.exists():
            return folder
        folder.mkdir(parents=True, exist_ok=True)
        media = store().media(uid).resolve()
        streams = _probe(media).get("streams", [])
        v = next(s for s in streams if s.get("codec_type") == "video")
        a = next((s for s in streams if s.get("codec_type") == "audio"), None)
        names = {"v": f"stream_t{uid}_r1.m3u8", "a": f"stream_t{uid}_r2.m3u8"}
        _cut(media, folder, "v", names["v"])
        lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
        if a:
            _cut(media, folder, "a", names["a"])
            lines.append('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_audio",NAME="original",LANGUAGE="en",'
                         f'DEFAULT=YES,AUTOSELECT=YES,URI="{names["a"]}"')
        num, _, den = (v.get("r_frame_rate") or "30/1").partition("/")
        rate = float(num) / float(den or 1) if float(den or 1) else 30.0
        seconds = max(float(video.get("duration") or 1), 1.0)
        bandwidth = int(media.stat().st_size * 8 / seconds)
        lines.append(f'#EXT-X-STREAM-INF:RESOLUTION={v.get("width")}x{v.get("height")},'
                     f'CODECS="{_codecs(v, a)}",BANDWIDTH={bandwidth},FRAME-RATE={rate:.3f}'
                     + (',AUDIO="group_audio"' if a else ""))
        lines.append(names["v"])
        tmp = folder / "video.m3u8.tmp"
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(master)
    return folder


def _segment_seconds(folder: Path, uid: str) -> dict[str, float]:
    if uid not in _durations:
        seconds, out = 0.0, {}
        for line in (folder / f"stream_t{uid}_r1.m3u8").read_text().splitlines():
            if line.startswith("#EXTINF:"):
                seconds = float(line[8:].split(",")[0])
            elif line and not line.startswith("#"):
                out[line] = seconds
        _durations[uid] = out
    return _durations[uid]


def _ready_folder(token: str) -> tuple[dict, Path]:
    video = opened(token)               # the same token check as the player page
    try:
        return video, _build(video)
    except (subprocess.SubprocessError, OSError, StopIteration, ValueError):
        current_app.logger.exception("HLS packaging failed for %s", video["uid"])
        abort(500)


@bp.get("/<token>/manifest/video.m3u8")
def master(token: str):
    _video, folder = _ready_folder(token)
    return send_file(folder / "video.m3u8", mimetype="application/vnd.apple.mpegurl", max_age=0)


@bp.get("/<token>/manifest/<name>")
def part(token: str, name: str):
    video, folder = _ready_folder(token)
    path = folder / name
    if not SAFE.match(name) or name == "video.m3u8" or not path.is_file():
        abort(404)
    if name.endswith(".m3u8"):
        return send_file(path, mimetype="application/vnd.apple.mpegurl", max_age=0)
    seconds = _segment_seconds(folder, video["uid"]).get(name)
    if seconds:                          # minutes delivered, as Stream counts HLS playback
        record_minutes(store(), video["uid"], seconds / 60)
    return send_file(path, mimetype="video/mp4", max_age=0)     # init segment and fMP4 segments


@bp.get("/<token>/thumbnails/thumbnail.jpg")
def thumbnail(token: str):
    video = opened(token)
    folder = (store().root / "hls" / video["uid"]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "thumbnail.jpg"
    with _lock(video["uid"] + ":thumb"):
        if not path.exists():
            at = float(video.get("thumbnailTimestampPct") or 0) * max(float(video.get("duration") or 0), 0)
            try:
                subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", f"{at:.3f}", "-i",
                                str(store().media(video["uid"])), "-frames:v", "1", "-q:v", "4", str(path)],
                               capture_output=True, timeout=60, check=True)
            except (subprocess.SubprocessError, OSError):
                current_app.logger.exception("thumbnail failed for %s", video["uid"])
                abort(500)
    return send_file(path, mimetype="image/jpeg", max_age=0)
