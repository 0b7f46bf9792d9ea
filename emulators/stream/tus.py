"""The tus 1.0.0 server on the upload URL the API hands out (core, creation, termination, CORS),
with Stream's chunk rules. Bytes stream to disk in pieces; a 5 GB upload never sits in memory."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, request

from .store import Store, parse_iso

bp = Blueprint("tus", __name__)

MIN_CHUNK = 5 * 1024 * 1024       # 5,242,880
CHUNK_MULTIPLE = 256 * 1024       # 262,144
MAX_CHUNK = 200 * 1024 * 1024     # 209,715,200
PIECE = 1024 * 1024
EXPOSE = "Location, Upload-Offset, Upload-Length, Tus-Resumable, Tus-Version, Tus-Max-Size, stream-media-id"
ALLOW_HEADERS = ("Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, Content-Type, "
                 "Upload-Concat, X-Requested-With, X-HTTP-Method-Override, Upload-Creator")


def store() -> Store:
    return current_app.extensions["stream_store"]


def answer(status: int, message: str = "", video=None, **headers):
    resp = current_app.response_class(message, status=status, mimetype="text/plain")
    resp.headers["Tus-Resumable"] = "1.0.0"
    origin = request.headers.get("Origin")
    allowed = (video or {}).get("allowedOrigins") or []
    if origin and (not allowed or origin.split("://", 1)[-1] in allowed or origin in allowed):
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.headers["Access-Control-Expose-Headers"] = EXPOSE
        resp.headers["Vary"] = "Origin"
    resp.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        resp.headers[name.replace("_", "-")] = str(value)
    return resp


def live_upload(uid: str):
    """The video while its upload may still proceed, else an error response."""
    video = store().get(uid)
    if video is None or "uploadLength" not in video:
        return None, answer(404, "Upload not found")
    expiry = parse_iso(video.get("uploadExpiry"))
    if video["status"]["state"] == "pendingupload" and expiry and datetime.now(timezone.utc) > expiry:
        store().delete(uid)             # abandoned: Stream discards it
        return None, answer(410, "Upload expired")
    return video, None


@bp.route("/tus/<uid>", methods=["OPTIONS"])
def options(uid: str):
    return answer(204, video=store().get(uid), Tus_Version="1.0.0", Tus_Extension="creation,termination",
                  Tus_Max_Size=30 * 1024**3, Access_Control_Allow_Methods="POST, HEAD, PATCH, DELETE, OPTIONS",
                  Access_Control_Allow_Headers=ALLOW_HEADERS, Access_Control_Max_Age=86400)


@bp.route("/tus/<uid>", methods=["HEAD"])
def head(uid: str):
    video, err = live_upload(uid)
    if err:
        return err
    return answer(200, video=video, Upload_Offset=video["uploadOffset"], Upload_Length=video["uploadLength"],
                  stream_media_id=uid)


@bp.route("/tus/<uid>", methods=["PATCH"])
def patch(uid: str):
    if request.headers.get("Tus-Resumable") != "1.0.0":
        return answer(412, "Tus-Resumable 1.0.0 required")
    if request.mimetype != "application/offset+octet-stream":
        return answer(415, "Content-Type must be application/offset+octet-stream")
    lock = store().upload_lock(uid)
    if not lock.acquire(blocking=False):
        return answer(423, "Another request is writing to this upload")
    try:
        video, err = live_upload(uid)
        if err:
            return err
        if video["status"]["state"] != "pendingupload":
            return answer(409, "Upload already complete", video)
        offset, length = video["uploadOffset"], video["uploadLength"]
        claimed = request.headers.get("Upload-Offset", "")
        if not claimed.isdigit() or int(claimed) != offset:
            return answer(409, f"Upload-Offset mismatch: the upload is at {offset}", video, Upload_Offset=offset)
        size = request.content_length
        if size is None:
            return answer(411, "Content-Length is required")
        final = offset + size == length
        if offset + size > length:
            return answer(400, "The chunk goes past Upload-Length", video)
        if size > MAX_CHUNK:
            return answer(413, f"A chunk may be at most {MAX_CHUNK} bytes", video)
        if not final and (size < MIN_CHUNK or size % CHUNK_MULTIPLE):
            return answer(400, f"A chunk other than the last must be at least {MIN_CHUNK} bytes and a "
                               f"multiple of {CHUNK_MULTIPLE}", video)
        written = 0
        with open(store().media(uid), "r+b") as fh:
            fh.seek(offset)
            while written < size:
                piece = request.stream.read(min(PIECE, size - written))
                if not piece:
                    break          # client went away: keep what arrived, tus resumes from there
                fh.write(piece)
                written += len(piece)
            fh.truncate(offset + written)
        video = store().update(uid, uploadOffset=offset + written)
        if video["uploadOffset"] == length:
            current_app.extensions["stream_processor"].start(uid)
        return answer(204, video=video, Upload_Offset=video["uploadOffset"], stream_media_id=uid)
    finally:
        lock.release()


@bp.route("/tus/<uid>", methods=["DELETE"])
def terminate(uid: str):
    video = store().get(uid)
    if video is None:
        return answer(404, "Upload not found")
    store().delete(uid)
    return answer(204, video=video)
