"""Just enough of tus 1.0.0 for tus-js-client's creation request to the portal."""
from __future__ import annotations

import base64
import binascii

from flask import Request

from .. import params
from ..services.submissions import UploadClaim, UploadRefused


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated "key base64value" pairs (a key may have no value)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise UploadRefused(400, f"Upload-Metadata value of '{key[:40]}' is not base64.") from None
        if params.has_nul(out[key]):      # the file name is stored, and PostgreSQL refuses NUL in text
            raise UploadRefused(400, f"The file's {key[:40]} contains a character that cannot be stored (NUL); "
                                     "rename the file and try again.")
    return out


def claim_from(request: Request) -> UploadClaim:
    if request.headers.get("Tus-Resumable") != "1.0.0":
        raise UploadRefused(412, "Tus-Resumable: 1.0.0 is required.")
    try:
        length = params.whole(request.headers.get("Upload-Length", ""), "Upload-Length", hi=2**62)
    except params.BadParam:
        raise UploadRefused(400, "Upload-Length must be the file size in bytes.") from None
    meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
    try:
        duration = params.finite(meta["duration"], "duration", hi=1e7) if meta.get("duration") else None
    except params.BadParam:
        raise UploadRefused(422, "The video's length must be a number of seconds.") from None
    return UploadClaim(length=length, filename=meta.get("filename") or "video",
                       filetype=meta.get("filetype", ""), duration_seconds=duration,
                       fingerprint=meta.get("fingerprint", ""))
