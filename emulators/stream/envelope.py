"""Cloudflare's response envelope, and the one table of errors the emulator answers with."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify

# (HTTP status, Cloudflare code, message)
ERRORS = {
    "auth": (401, 10000, "Authentication error"),
    "forbidden": (403, 10000, "Authentication error"),
    "not_found": (404, 10005, "Not Found"),
    "route": (404, 7003, "Could not route to the requested path; the path is not valid"),
    "bad_request": (400, 10005, "Bad Request"),
    "length": (400, 10006, "Invalid Upload-Length: the value must be a whole number of bytes up to 30 GB"),
    "tus_version": (412, 10009, "Tus-Resumable header is missing or not 1.0.0"),
    "too_big": (413, 10011, "The file is larger than the maximum allowed size"),
    "not_implemented": (501, 10003, "The emulator does not implement this Stream endpoint"),
}


def ok(result: Any, status: int = 200) -> Response:
    resp = jsonify(result=result, success=True, errors=[], messages=[])
    resp.status_code = status
    return resp


def fail(kind: str, message: str | None = None) -> Response:
    status, code, default = ERRORS[kind]
    resp = jsonify(result=None, success=False, errors=[{"code": code, "message": message or default}],
                   messages=[])
    resp.status_code = status
    return resp
