"""A local Cloudflare Stream, faithful to ../shared/contracts/cloudflare-stream: the API, tus
direct creator uploads, processing with ffprobe, signed-token playback, webhooks, analytics.
It never imports the portal."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Flask

from .envelope import fail
from .processing import Processor
from .store import Store

DEFAULTS = {
    "account_id": "023e105f4ecef8ad9ca31a8372d0c353",
    "api_token": "stream-emulator-token",
    "public_url": "http://127.0.0.1:8100",
    "data_dir": None,
    "processing_delay": 0.2,
    "storage_limit_minutes": 100000,
    "webhook_tries": 4,
    "control": True,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = {**DEFAULTS, **(config or {})}
    settings["public_url"] = settings["public_url"].rstrip("/")
    data = Path(settings["data_dir"] or tempfile.mkdtemp(prefix="stream-emulator-"))
    app = Flask(__name__)
    app.config["STREAM"] = settings
    app.config["MAX_CONTENT_LENGTH"] = None        # tus chunks are checked by the tus rules
    store = Store(data)
    app.extensions["stream_store"] = store
    app.extensions["stream_processor"] = Processor(store, settings)

    from . import analytics, api, hls, player, tus
    app.register_blueprint(api.bp)
    app.register_blueprint(analytics.bp)
    app.register_blueprint(hls.bp)
    app.register_blueprint(tus.bp)
    app.register_blueprint(player.bp)
    if settings["control"]:
        from . import control
        app.register_blueprint(control.bp)

    @app.get("/")
    def index():
        return {"emulator": "cloudflare-stream", "api": f"{settings['public_url']}/client/v4"}

    @app.errorhandler(404)
    def _not_found(_err):
        return fail("route")

    @app.errorhandler(405)
    def _method(_err):
        return fail("route", "Method not allowed for this path")
    return app
