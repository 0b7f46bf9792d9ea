"""The Stream API under /client/v4/accounts/<account_id>/stream, as the contract describes it."""
from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, current_app, request

from . import tokens
from .envelope import fail, ok
from .processing import status
from .store import Store, now_iso, parse_iso

bp = Blueprint("stream_api", __name__, url_prefix="/client/v4/accounts/<account_id>/stream")

MAX_LENGTH = 30 * 1024**3
DEFAULT_UPLOAD_WINDOW = timedelta(hours=6)
BASIC_UPLOAD_CAP = 200 * 1024**2


def store() -> Store:
    return current_app.extensions["stream_store"]


def cfg(name: str):
    return current_app.config["STREAM"][name]


@bp.before_request
def _auth():
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not secrets.compare_digest(auth[7:], cfg("api_token")):
        return fail("auth")
    account = request.path.split("/accounts/", 1)[1].split("/", 1)[0]
    if account != cfg("account_id"):
        return fail("forbidden")
    return None


@bp.url_value_preprocessor
def _drop_account(endpoint, values):
    values.pop("account_id", None)


def new_video(uid: str, *, creator: str | None, meta: dict[str, Any], max_duration: int | None,
              require_signed: bool, origins: list[str], scheduled: str | None, expiry: datetime,
              size: int | None = None) -> dict[str, Any]:
    base = cfg("public_url")
    return {
        "uid": uid, "creator": creator, "thumbnail": f"{base}/{uid}/thumbnails/thumbnail.jpg",
        "thumbnailTimestampPct": 0, "readyToStream": False, "readyToStreamAt": None,
        "status": status("pendingupload", "0.000000"), "meta": meta, "created": now_iso(),
        "modified": now_iso(), "scheduledDeletion": scheduled, "size": size, "preview": f"{base}/{uid}/watch",
        "allowedOrigins": origins, "requireSignedURLs": require_signed, "uploaded": None,
        "uploadExpiry": expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "maxSizeBytes": None,
        "maxDurationSeconds": max_duration, "duration": -1, "input": {"width": -1, "height": -1},
        "playback": {"hls": f"{base}/{uid}/manifest/video.m3u8", "dash": f"{base}/{uid}/manifest/video.mpd"},
        "watermark": None,
    }


def parse_tus_metadata(header: str) -> dict[str, str]:
    out = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        out[key] = base64.b64decode(value).decode() if value else ""
    return out


@bp.post("")
def create():
    if request.args.get("direct_user") != "true" or "Tus-Resumable" not in request.headers:
        return fail("bad_request", "Use tus (Tus-Resumable header) with direct_user=true, or /stream/direct_upload")
    if request.headers.get("Tus-Resumable") != "1.0.0":
        return fail("tus_version")
    length = request.headers.get("Upload-Length", "")
    if not length.isdigit() or not 0 < int(length) <= MAX_LENGTH:
        return fail("length")
    try:
        meta = parse_tus_metadata(request.headers.get("Upload-Metadata", ""))
    except ValueError:
        return fail("bad_request", "Upload-Metadata must hold base64 values")
    now = datetime.now(timezone.utc)
    expiry = parse_iso(meta.get("expiry")) or now + DEFAULT_UPLOAD_WINDOW
    duration = meta.get("maxdurationseconds")
    if duration is not None and (not duration.isdigit() or not 1 <= int(duration) <= 36000):
        return fail("bad_request", "maxDurationSeconds must be between 1 and 36000")
    uid = store().new_uid()
    name = meta.get("name") or meta.get("filename") or ""
    video = new_video(uid, creator=request.headers.get("Upload-Creator"),
                      meta={"name": name, "filename": name, "filetype": meta.get("filetype", "")},
                      max_duration=int(duration) if duration else None,
                      require_signed="requiresignedurls" in meta,
                      origins=[o for o in (meta.get("allowedorigins") or "").split(",") if o],
                      scheduled=meta.get("scheduleddeletion"), expiry=expiry, size=int(length))
    video["uploadLength"] = int(length)          # emulator bookkeeping, not in the video object
    video["uploadOffset"] = 0
    store().put(video)
    store().media(uid).touch()
    resp = current_app.response_class(status=201)
    resp.headers.update({"Location": f"{cfg('public_url')}/tus/{uid}?tusv2=true", "stream-media-id": uid,
                         "Tus-Resumable": "1.0.0", "Access-Control-Expose-Headers": "Location, stream-media-id"})
    return resp


PRIVATE = ("uploadLength", "uploadOffset", "directUpload", "captions")


# The contract types these as strings or numbers: an unset one is left out, not null.
OMIT_WHEN_UNSET = ("scheduledDeletion", "readyToStreamAt", "uploaded", "creator", "maxDurationSeconds",
                   "maxSizeBytes", "size", "watermark")
UNIMPLEMENTED = {"clip", "copy", "live_inputs", "watermarks"}


def public(video: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in video.items()
            if k not in PRIVATE and not (k in OMIT_WHEN_UNSET and v is None)}


@bp.get("")
def list_videos():
    videos = store().all()
    a = request.args
    if a.get("status"):
        videos = [v for v in videos if v["status"]["state"] == a["status"]]
    if a.get("creator"):
        videos = [v for v in videos if v.get("creator") == a["creator"]]
    if a.get("search"):
        videos = [v for v in videos if a["search"].lower() in (v["meta"].get("name") or "").lower()]
    if a.get("start"):
        videos = [v for v in videos if v["created"] >= a["start"]]
    if a.get("end"):
        videos = [v for v in videos if v["created"] <= a["end"]]
    if a.get("asc") != "true":
        videos.reverse()
    videos = videos[:1000]
    resp = ok([public(v) for v in videos])
    if a.get("include_counts") == "true":
        body = resp.get_json()
        body.update(total=str(len(videos)), range=str(len(videos)))
        resp = current_app.response_class(current_app.json.dumps(body), mimetype="application/json")
    return resp


@bp.post("/direct_upload")
def direct_upload():
    body = request.get_json(silent=True) or {}
    duration = body.get("maxDurationSeconds")
    if not isinstance(duration, int) or not 1 <= duration <= 36000:
        return fail("bad_request", "maxDurationSeconds is required (1 to 36000)")
    now = datetime.now(timezone.utc)
    expiry = parse_iso(body.get("expiry")) or now + timedelta(minutes=30)
    uid = store().new_uid()
    video = new_video(uid, creator=body.get("creator"), meta=body.get("meta") or {}, max_duration=duration,
                      require_signed=bool(body.get("requireSignedURLs")),
                      origins=body.get("allowedOrigins") or [], scheduled=body.get("scheduledDeletion"),
                      expiry=expiry)
    video["directUpload"] = True
    store().put(video)
    result = {"uploadURL": f"{cfg('public_url')}/direct/{uid}", "uid": uid,
              "scheduledDeletion": video["scheduledDeletion"]}
    return ok({k: v for k, v in result.items() if v is not None})


@bp.get("/storage-usage")
def storage_usage():
    creator = request.args.get("creator")
    videos = [v for v in store().all() if v["status"]["state"] == "ready"
              and (creator is None or v.get("creator") == creator)]
    minutes = sum(max(v.get("duration") or 0, 0) for v in videos) / 60
    return ok({"creator": creator or "", "totalStorageMinutes": round(minutes),
               "totalStorageMinutesLimit": int(cfg("storage_limit_minutes")), "videoCount": len(videos)})


@bp.get("/analytics/views")
def analytics():
    """Minutes viewed per video and day. Not a Stream REST path: the real service reports these
    through GraphQL analytics (streamMinutesViewedAdaptiveGroups); the portal's client adapts."""
    since, until = request.args.get("since", ""), request.args.get("until", "9999")
    views = store().doc("views", {})
    rows = []
    for key, minutes in sorted(views.items()):
        uid, day = key.split("|")
        if since <= day < until:
            rows.append({"uid": uid, "date": day, "minutesViewed": round(minutes, 3)})
    return ok(rows)


@bp.route("/keys", methods=["POST"])
def create_key():
    return ok(tokens.create_key(store()))


@bp.get("/keys")
def list_keys():
    return ok(tokens.list_keys(store()))


@bp.delete("/keys/<key_id>")
def delete_key(key_id: str):
    return ok("ok") if tokens.delete_key(store(), key_id) else fail("not_found")


@bp.put("/webhook")
def put_webhook():
    body = request.get_json(silent=True) or {}
    url = body.get("notificationUrl") or body.get("notification_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return fail("bad_request", "notificationUrl must be an http(s) URL")
    hook = {"notificationUrl": url, "modified": now_iso(), "secret": secrets.token_hex(32)}
    store().save_doc("webhook", hook)
    return ok(hook)


@bp.get("/webhook")
def get_webhook():
    hook = store().doc("webhook", None)
    return ok(hook) if hook else fail("not_found")


@bp.delete("/webhook")
def delete_webhook():
    store().save_doc("webhook", None)
    return ok("")


def video_or_404(uid: str):
    if uid in UNIMPLEMENTED:
        return None, fail("not_implemented")
    video = store().get(uid)
    return video, (None if video else fail("not_found"))


@bp.get("/<uid>")
def get_video(uid: str):
    video, err = video_or_404(uid)
    return err or ok(public(video))


@bp.post("/<uid>")
def update_video(uid: str):
    video, err = video_or_404(uid)
    if err:
        return err
    body = request.get_json(silent=True) or {}
    allowed = {"meta", "requireSignedURLs", "scheduledDeletion", "allowedOrigins", "thumbnailTimestampPct",
               "creator", "maxDurationSeconds", "uploadExpiry"}
    unknown = set(body) - allowed
    if unknown:
        return fail("bad_request", f"Unknown field(s): {', '.join(sorted(unknown))}")
    if "meta" in body and not isinstance(body["meta"], dict):
        return fail("bad_request", "meta must be an object")
    return ok(public(store().update(uid, **body)))


@bp.delete("/<uid>")
def delete_video(uid: str):
    return ("", 200) if store().delete(uid) else fail("not_found")


@bp.post("/<uid>/token")
def token(uid: str):
    video, err = video_or_404(uid)
    if err:
        return err
    claims = request.get_json(silent=True) or {}
    return ok({"token": tokens.internal_token(store(), uid, {k: v for k, v in claims.items()
                                                               if k in ("exp", "nbf", "accessRules", "downloadable")})})


@bp.get("/<uid>/embed")
def embed(uid: str):
    video, err = video_or_404(uid)
    if err:
        return err
    return current_app.response_class(
        f'<iframe src="{cfg("public_url")}/{uid}/iframe" style="border: none;" height="720" width="1280" '
        'allow="accelerometer; gyroscope; autoplay; encrypted-media; picture-in-picture;" allowfullscreen="true"></iframe>',
        mimetype="text/html")


@bp.get("/<uid>/captions")
def captions(uid: str):
    video, err = video_or_404(uid)
    return err or ok(list((video.get("captions") or {}).values()))


@bp.post("/<uid>/captions/<lang>/generate")
def generate_captions(uid: str, lang: str):
    video, err = video_or_404(uid)
    if err:
        return err
    if video["status"]["state"] != "ready":
        return fail("bad_request", "Captions can be generated once the video is ready")
    caption = {"language": lang, "label": f"{lang} (auto-generated)", "generated": True, "status": "ready"}
    store().update(uid, captions={**(video.get("captions") or {}), lang: caption})
    return ok(caption)


@bp.get("/<uid>/captions/<lang>/vtt")
def captions_vtt(uid: str, lang: str):
    video, err = video_or_404(uid)
    if err:
        return err
    if lang not in (video.get("captions") or {}):
        return fail("not_found")
    seconds = max(int(video.get("duration") or 0), 1)
    text = "WEBVTT\n\n" + "".join(
        f"{t // 60:02d}:{t % 60:02d}.000 --> {min(t + 5, seconds) // 60:02d}:{min(t + 5, seconds) % 60:02d}.000\n"
        f"[speech {t // 5 + 1}]\n\n" for t in range(0, seconds, 5))
    return current_app.response_class(text, mimetype="text/vtt")


@bp.delete("/<uid>/captions/<lang>")
def delete_captions(uid: str, lang: str):
    video, err = video_or_404(uid)
    if err:
        return err
    caps = video.get("captions") or {}
    if caps.pop(lang, None) is None:
        return fail("not_found")
    store().update(uid, captions=caps)
    return ok("")


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_implemented(rest: str):
    return fail("not_implemented")
