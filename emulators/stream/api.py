"""The Stream API under /client/v4/accounts/<account_id>/stream, as the contract describes it."""
from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, current_app, request

from . import tokens
from .envelope import fail, ok
from .processing import status
from .store import Store, now_iso, parse_iso, public

bp = Blueprint("stream_api", __name__, url_prefix="/client/v4/accounts/<account_id>/stream")

MAX_LENGTH = 30 * 1024**3
DEFAULT_UPLOAD_WINDOW = timedelta(hours=6)
BASIC_UPLOAD_CAP = 200 * 1024**2
# openapi-stream.json, stream_maxDurationSeconds: "minimum": 1, "maximum": 21600.
MAX_DURATION = 21600
# openapi-stream.json, stream_scheduledDeletion: "must be at least 30 days from upload time".
MIN_DELETION_DELAY = timedelta(days=30)


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


def json_object() -> tuple[dict[str, Any] | None, Any]:
    """The JSON body as an object ({} when empty), or the 400 Stream answers for anything else
    (a number, a list, broken JSON): never a 500."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}, None
    try:
        body = json.loads(raw)
    except ValueError:
        return None, fail("bad_request", "The request body is not valid JSON")
    if not isinstance(body, dict):
        return None, fail("bad_request", "The request body must be a JSON object")
    return body, None


def max_duration_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DURATION:
        return f"maxDurationSeconds must be a whole number from 1 to {MAX_DURATION}"
    return None


def deletion_problem(value: Any, since: datetime) -> str | None:
    """A scheduledDeletion Stream refuses: not a date-time, or less than 30 days after `since`
    (the upload time; now for a video not uploaded yet)."""
    when = parse_iso(value) if isinstance(value, str) else None
    if when is None or when.tzinfo is None:
        return "scheduledDeletion must be an RFC 3339 date-time"
    if when < since + MIN_DELETION_DELAY:
        return "scheduledDeletion must be at least 30 days from upload time"
    return None


def parse_tus_metadata(header: str) -> dict[str, str]:
    out = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        out[key] = base64.b64decode(value).decode() if value else ""
    return out


@bp.post("")
def create():
    # tus creation: with direct_user=true for an end user's browser, without it from a server;
    # both are valid (openapi-stream.json, POST /accounts/{account_id}/stream).
    if "Tus-Resumable" not in request.headers:
        return fail("bad_request", "Use tus (Tus-Resumable header), or /stream/direct_upload")
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
    if duration is not None and (not duration.isdigit() or max_duration_problem(int(duration))):
        return fail("bad_request", max_duration_problem(-1))
    if meta.get("scheduleddeletion") is not None:
        problem = deletion_problem(meta["scheduleddeletion"], now)
        if problem:
            return fail("bad_request", problem)
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


UNIMPLEMENTED = {"clip", "copy", "live_inputs", "watermarks"}


def _when(name: str, alias: str) -> tuple[datetime | None, Any]:
    """A list bound (start/after, end/before): an RFC 3339 date-time or a 400."""
    raw = request.args.get(name) or request.args.get(alias)
    if not raw:
        return None, None
    when = parse_iso(raw)
    if when is None or when.tzinfo is None:
        return None, fail("bad_request", f"{name} must be an RFC 3339 date-time such as 2014-01-02T02:20:00Z")
    return when, None


@bp.get("")
def list_videos():
    """GET /stream: filters of the contract, plus limit/after/before of its later revision
    (openapi-stream.json, x-stream-portal-later-additions); total/range are integers."""
    a = request.args
    start, err = _when("start", "after")
    end, err = (None, err) if err else _when("end", "before")
    if err:
        return err
    limit = a.get("limit", "1000")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        return fail("bad_request", "limit must be a whole number from 1 to 1000")
    videos = store().all()
    if a.get("status"):
        videos = [v for v in videos if v["status"]["state"] == a["status"]]
    if a.get("creator"):
        videos = [v for v in videos if v.get("creator") == a["creator"]]
    if a.get("search"):
        videos = [v for v in videos if a["search"].lower() in (v["meta"].get("name") or "").lower()]
    total = len(videos)
    if start:
        videos = [v for v in videos if parse_iso(v["created"]) > start]
    if end:
        videos = [v for v in videos if parse_iso(v["created"]) < end]
    if a.get("asc") != "true":
        videos.reverse()
    remaining = len(videos)
    videos = videos[:int(limit)]
    resp = ok([public(v) for v in videos])
    if a.get("include_counts") == "true":
        body = resp.get_json()
        body.update(total=total, range=remaining)
        resp = current_app.response_class(current_app.json.dumps(body), mimetype="application/json")
    return resp


@bp.post("/direct_upload")
def direct_upload():
    body, err = json_object()
    if err:
        return err
    duration = body.get("maxDurationSeconds")
    if max_duration_problem(duration):
        return fail("bad_request", "maxDurationSeconds is required: " + max_duration_problem(duration))
    now = datetime.now(timezone.utc)
    if body.get("scheduledDeletion") is not None and deletion_problem(body["scheduledDeletion"], now):
        return fail("bad_request", deletion_problem(body["scheduledDeletion"], now))
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
    body, err = json_object()
    if err:
        return err
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
    body, err = json_object()
    if err:
        return err
    allowed = {"meta", "requireSignedURLs", "scheduledDeletion", "allowedOrigins", "thumbnailTimestampPct",
               "creator", "maxDurationSeconds", "uploadExpiry"}
    unknown = set(body) - allowed
    if unknown:
        return fail("bad_request", f"Unknown field(s): {', '.join(sorted(unknown))}")
    if "meta" in body and not isinstance(body["meta"], dict):
        return fail("bad_request", "meta must be an object")
    if "maxDurationSeconds" in body and max_duration_problem(body["maxDurationSeconds"]):
        return fail("bad_request", max_duration_problem(body["maxDurationSeconds"]))
    if body.get("scheduledDeletion") is not None:   # null removes it (stream_scheduledDeletion)
        since = parse_iso(video.get("uploaded")) or datetime.now(timezone.utc)
        problem = deletion_problem(body["scheduledDeletion"], since)
        if problem:
            return fail("bad_request", problem)
    return ok(public(store().update(uid, **body)))


@bp.delete("/<uid>")
def delete_video(uid: str):
    return ("", 200) if store().delete(uid) else fail("not_found")


@bp.post("/<uid>/token")
def token(uid: str):
    video, err = video_or_404(uid)
    if err:
        return err
    claims, err = json_object()
    if err:
        return err
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


# Paths of the contract this emulator does not serve (501), as opposed to paths Stream does not
# have at all (404, as Stream answers an unknown route).
UNIMPLEMENTED_UNDER_VIDEO = {"audio", "downloads", "captions"}


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_implemented(rest: str):
    parts = rest.split("/")
    if parts[0] in UNIMPLEMENTED or (len(parts) > 1 and store().get(parts[0])
                                     and parts[1] in UNIMPLEMENTED_UNDER_VIDEO):
        return fail("not_implemented")
    return fail("route")
