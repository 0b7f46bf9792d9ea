"""Just enough of tus 1.0.0 for tus-js-client's creation request to the portal."""
from __future__ import annotations

import base64
import binascii

from flask import Request

from ..services.submissions import UploadClaim, UploadRefused


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated "key base64value" pairs (a key may have no value)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise UploadRefused(400, f"Upload-Metadata value of '{key}' is not base64.") from None
    return out


def claim_from(request: Request) -> UploadClaim:
    if request.headers.get("Tus-Resumable") != "1.0.0":
        raise UploadRefused(412, "Tus-Resumable: 1.0.0 is required.")
    length = request.headers.get("Upload-Length", "")
    if not length.isdigit():
        raise UploadRefused(400, "Upload-Length must be the file size in bytes.")
    meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
    try:
        duration = float(meta["duration"]) if meta.get("duration") else None
    except ValueError:
        raise UploadRefused(422, "The video's length must be a number of seconds.") from None
    return UploadClaim(length=int(length), filename=meta.get("filename") or "video",
                       filetype=meta.get("filetype", ""), duration_seconds=duration,
                       fingerprint=meta.get("fingerprint", ""))
