"""Test controls, apart from the contract's paths: make processing fail, lose webhooks, expire an
upload now. Only mounted when the emulator is started with control enabled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("control", __name__, url_prefix="/_emulator")


@bp.post("/fail-next-processing")
def fail_next():
    code = (request.get_json(silent=True) or {}).get("code", "ERR_UNKNOWN")
    current_app.extensions["stream_processor"].fail_next.append(code)
    return jsonify(queued=code)


@bp.post("/drop-webhooks")
def drop_webhooks():
    n = int((request.get_json(silent=True) or {}).get("count", 1))
    current_app.extensions["stream_processor"].drop_webhooks = n
    return jsonify(dropping=n)


@bp.post("/expire/<uid>")
def expire(uid: str):
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    video = current_app.extensions["stream_store"].update(uid, uploadExpiry=past)
    return (jsonify(expired=uid), 200) if video else (jsonify(error="unknown uid"), 404)


@bp.get("/videos/<uid>")
def raw(uid: str):
    video = current_app.extensions["stream_store"].get(uid)
    return (jsonify(video), 200) if video else (jsonify(error="unknown uid"), 404)
