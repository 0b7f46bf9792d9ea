"""A local Moodle/IOMAD, faithful to ../shared/contracts/moodle: the REST web services with their
error envelopes, IOMAD companies, the companion plugin's functions, the local_oauth2 OpenID provider
and a small Moodle-looking UI. It never imports the portal."""
from __future__ import annotations

import secrets
from typing import Any

from flask import Flask

from .control import Control
from .datasets import DATASETS
from .oauth import Keys

DEFAULTS = {
    "siteurl": "http://127.0.0.1:8200",
    "portal_url": "http://127.0.0.1:8000",
    "service_token": "6a1f3e0c2b9d48e7a5c4f1b0d3e2a9c8",
    "oauth_client_id": "stream-portal",
    "oauth_secret": "stream-portal-dev-secret",
    "redirect_uris": ["http://127.0.0.1:8000/auth/callback"],
    "debug": False,
    # The companion plugin's "Embed secret" setting (= the portal's EMBED_SHARED_SECRET): with it the
    # assignment page shows the plugin's signed "Open in Stream Portal" link.
    "embed_secret": "",
    "control": True,
}


class MoodleApp(Flask):
    """The emulator's app, with Python-side test controls."""

    @property
    def site(self):
        return self.extensions["moodle_site"]

    @property
    def control(self) -> Control:
        return self.extensions["moodle_control"]

    def add_redirect_uri(self, uri: str) -> None:
        for client in self.site.oauth_clients.values():
            if uri not in client["redirect_uris"]:
                client["redirect_uris"].append(uri)

    def reset(self) -> None:
        self.extensions["moodle_reset"]()


def create_app(dataset: str = "demo", **config: Any) -> MoodleApp:
    settings = {**DEFAULTS, **config}
    settings["siteurl"] = settings["siteurl"].rstrip("/")
    app = MoodleApp(__name__)
    app.config["MOODLE"] = settings
    app.secret_key = secrets.token_hex(16)
    app.config["SESSION_COOKIE_NAME"] = "MoodleSession"

    def load():
        app.extensions["moodle_site"] = DATASETS[dataset](
            portal_url=settings["portal_url"].rstrip("/"), service_token=settings["service_token"],
            client_id=settings["oauth_client_id"], client_secret=settings["oauth_secret"],
            redirect_uris=list(settings["redirect_uris"]))
    load()
    app.extensions["moodle_reset"] = load
    app.extensions["moodle_control"] = Control()
    app.extensions["moodle_oauth_keys"] = Keys()

    from . import control, oauth, rest, ui
    ui.install(app)
    app.register_blueprint(rest.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(ui.bp)
    if settings["control"]:
        app.register_blueprint(control.bp)
    return app
