"""The customer domain: <domain>/<token>/iframe checks the signed token, then really plays the
file; the page reports minutes watched (analytics) and talks to its embedding page."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template_string, request, send_file

from . import tokens
from .analytics import record_minutes
from .store import Store

bp = Blueprint("player", __name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stream player</title>
<style>html,body{margin:0;height:100%;background:#000}video{width:100%;height:100%}</style></head>
<body><video id="video" controls playsinline preload="metadata" src="{{ src }}" data-start="{{ start }}"
 data-beacon="{{ beacon }}"></video><script src="{{ script }}"></script></body></html>"""

ERROR = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Video unavailable</title></head>
<body style="font-family:sans-serif;background:#111;color:#eee;padding:2rem">
<h1>This video cannot be played</h1><p id="reason">{{ reason }}</p></body></html>"""

SCRIPT = """(function(){var v=document.getElementById('video');var last=0;
var start=parseFloat((v.dataset.start||'').replace('s',''));
if(start>0){v.addEventListener('loadedmetadata',function(){v.currentTime=start;},{once:true});}
function tell(m){if(window.parent!==window){window.parent.postMessage(m,'*');}}
v.addEventListener('timeupdate',function(){tell({event:'timeupdate',currentTime:v.currentTime});
 var now=v.currentTime;var d=now-last;last=now;if(d>0&&d<5){pending+=d;}});
v.addEventListener('play',function(){tell({event:'play'});});
v.addEventListener('pause',function(){tell({event:'pause'});flush();});
v.addEventListener('ended',function(){tell({event:'ended'});flush();});
var pending=0;function flush(){if(pending<=0)return;var s=pending;pending=0;
 navigator.sendBeacon?navigator.sendBeacon(v.dataset.beacon,String(s)):fetch(v.dataset.beacon,{method:'POST',body:String(s)});}
setInterval(flush,10000);window.addEventListener('pagehide',flush);
window.addEventListener('message',function(e){var m=e.data||{};
 if(m.event==='seek'&&typeof m.time==='number'){v.currentTime=m.time;}
 else if(m.event==='play'){v.play();}else if(m.event==='pause'){v.pause();}});
})();"""


def store() -> Store:
    return current_app.extensions["stream_store"]


def opened(token: str) -> dict:
    """The ready video this token opens, or an error page (never the video)."""
    video = store().get(token) if token.isalnum() else None
    try:
        uid = tokens.check(store(), token, video, ip=request.remote_addr or "127.0.0.1")
    except tokens.TokenRefused as exc:
        abort(current_app.response_class(render_template_string(ERROR, reason=str(exc)), status=401,
                                          mimetype="text/html"))
    video = store().get(uid)
    if video is None or video["status"]["state"] != "ready":
        abort(current_app.response_class(render_template_string(ERROR, reason="The video is not ready."),
                                          status=404, mimetype="text/html"))
    return video


@bp.get("/<token>/iframe")
def iframe(token: str):
    opened(token)
    base = current_app.config["STREAM"]["public_url"]
    return render_template_string(PAGE, src=f"{base}/{token}/video.mp4", script=f"{base}/player.js",
                                  beacon=f"{base}/{token}/beacon", start=request.args.get("startTime", ""))


@bp.get("/player.js")
def script():
    return current_app.response_class(SCRIPT, mimetype="application/javascript")


@bp.get("/<token>/video.mp4")
def video_file(token: str):
    video = opened(token)
    return send_file(store().media(video["uid"]), mimetype="video/mp4", conditional=True)


@bp.post("/<token>/beacon")
def beacon(token: str):
    video = opened(token)
    try:
        seconds = min(max(float(request.get_data(as_text=True) or 0), 0), 3600)
    except ValueError:
        return "", 400
    record_minutes(store(), video["uid"], seconds / 60)
    return "", 204


@bp.post("/direct/<uid>")
def direct_upload(uid: str):
    """The one-shot form upload of POST /stream/direct_upload (basic uploads, 200 MB cap)."""
    video = store().get(uid)
    if video is None or not video.get("directUpload") or video["status"]["state"] != "pendingupload":
        return "Upload URL not found or already used", 404
    if (request.content_length or 0) > 200 * 1024**2:
        return "Basic uploads are limited to 200 MB; use tus", 413
    upload = request.files.get("file")
    if upload is None:
        return "A multipart field named 'file' is required", 400
    upload.save(store().media(uid))
    store().update(uid, size=store().media(uid).stat().st_size)
    current_app.extensions["stream_processor"].start(uid)
    return "", 200
