"""Moodle (local_oauth2) as the OpenID provider, through Authlib."""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app


class MoodleIDToken(CodeIDToken):
    """local_oauth2 drops the nonce when the user first logs in or consents (contract:
    authorization_request.nonce), so a missing nonce is accepted; a wrong one never is.
    State and PKCE still bind the callback to this browser."""

    def validate_nonce(self):
        if "nonce" in self:
            super().validate_nonce()


def moodle_oidc():
    """This app's OpenID client (one registry per app: tests build several apps)."""
    return current_app.extensions["portal_oauth"].moodle


def init_oidc(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    oauth = OAuth(app)
    app.extensions["portal_oauth"] = oauth
    oauth.register(
        "moodle",
        client_id=settings.oauth_client_id,
        client_secret=settings.oauth_client_secret,
        server_metadata_url=f"{settings.moodle_url}/local/oauth2/openid_configuration.php",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                       "timeout": (3.05, 15)},
        overwrite=True,
    )
