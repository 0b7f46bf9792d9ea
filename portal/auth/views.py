"""Sign-in through Moodle, sign-out. Thin: the roster service decides who the user is."""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from requests import RequestException

from .. import sessions
from ..audit import record
from ..extensions import db
from ..services import launch as launches
from ..services import moodle_refusals, roster
from ..services.moodle import MoodleError, MoodleRejected
from . import bp
from .oidc import MoodleIDToken, moodle_oidc

log = logging.getLogger(__name__)

NOT_ANSWERING = "Moodle is not answering right now, so you cannot be signed in. Please try again in a few minutes."
MISCONFIGURED = ("The portal cannot sign you in: its connection to Moodle is not set up correctly. "
                 "The site administrator has been told; trying again will not help until they fix it.")

DENIED = {"access_denied": "You chose not to let the portal use your Moodle account. "
                           "Sign in again and choose Allow to continue."}


def safe_next(target: str | None) -> str | None:
    """Only local paths: an open redirect would turn the sign-in into a phishing tool."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/signin")
def signin():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/signin.html", next=safe_next(request.args.get("next")))


@bp.get("/auth/login")
def login():
    if not current_app.config["SETTINGS"].oauth_enabled:
        return render_template("auth/signin.html"), 404
    session["after_signin"] = safe_next(request.args.get("next"))
    # The registered redirect URI is built from the configured public URL, never the Host header.
    try:   # the first sign-in fetches Moodle's OpenID discovery document
        return moodle_oidc().authorize_redirect(current_app.config["SETTINGS"].base_url + url_for("auth.callback"))
    except (RequestException, ValueError) as exc:
        log.warning("sign-in: Moodle's OpenID discovery failed: %s", type(exc).__name__)
        return render_template("auth/signin.html", next=session.get("after_signin"), error=NOT_ANSWERING), 503


@bp.get("/auth/callback")
def callback():
    error = request.args.get("error")
    if error:
        message = DENIED.get(error) or f"Moodle refused the sign-in ({error})."
        return render_template("auth/signin.html", error=message, next=session.get("after_signin")), 400
    try:
        token = moodle_oidc().authorize_access_token(claims_cls=MoodleIDToken)
        claims = token.get("userinfo") or moodle_oidc().userinfo(token=token)
    except OAuthError as exc:
        # mismatching_state, invalid_grant (reused or expired code), bad id_token…
        log.info("sign-in refused: %s", exc.error)
        return render_template("auth/signin.html", next=session.get("after_signin"),
                               error="The sign-in could not be completed (it may have expired or "
                                     "been used already). Please sign in again."), 400
    except (RequestException, ValueError) as exc:
        log.warning("sign-in: Moodle unreachable: %s", type(exc).__name__)
        return render_template("auth/signin.html", next=session.get("after_signin"), error=NOT_ANSWERING), 503
    return _sign_in(lambda: roster.sign_in(claims), session.pop("after_signin", None), via="oauth2")


@bp.get("/auth/moodle")
def moodle_launch():
    """A sign-in link signed by the Moodle plugin ("Open in Stream Portal"): Moodle 4.1–4.4's way in."""
    try:
        launch = launches.verify(current_app.config["SETTINGS"].embed_secret, request.args)
    except launches.LaunchRefused as exc:
        db.session.rollback()
        log.info("sign-in link refused: %s", exc.message)
        return render_template("auth/signin.html", error=exc.message), exc.status
    target = url_for("uploads.assignment", cmid=launch.cmid) if launch.cmid else None
    return _sign_in(lambda: roster.sign_in_moodle_user(launch.moodle_user_id), target, via="moodle link")


def _sign_in(resolve, target: str | None, via: str):
    """Resolve the user's roles from Moodle (resolve()), then sign them in; on failure nothing is
    half-created and the page says whose problem it is."""
    try:
        user = resolve()
    except MoodleRejected as exc:
        # A wrong service token or a function the service may not call: set-up, not an outage.
        db.session.rollback()              # nothing half-created
        moodle_refusals.report(exc)
        db.session.commit()
        return render_template("auth/signin.html", next=target, error=MISCONFIGURED), 503
    except MoodleError as exc:
        db.session.rollback()              # nothing half-created
        log.warning("sign-in: roster refresh failed: %s", exc)
        return render_template("auth/signin.html", next=target,
                               error="Moodle is not answering right now, so your courses could not be "
                                     "loaded. Please try again in a few minutes."), 503
    if user is None:
        db.session.rollback()
        return render_template("auth/signin.html", error="Moodle does not know this account any more."), 403
    if not user.active:
        abort(403, "Your account is suspended in Moodle.")
    if current_user.is_authenticated and current_user.id != user.id:
        logout_user()                      # a link from Moodle signs in whoever is signed in there
    login_user(user)
    record("signin", user, object_type="user", object_id=user.id, via=via)
    db.session.commit()
    # After the commit: the session store writes on its own connection (SQLite has one writer).
    sessions.mark_signed_in(current_app, session)     # a new session id; the absolute lifetime starts
    return redirect(target or url_for("home.index"))


@bp.post("/auth/logout")
@login_required
def logout():
    record("signout", current_user, object_type="user", object_id=current_user.id)
    db.session.commit()
    logout_user()
    sessions.end(current_app, session)     # deleted on the server: a copied cookie opens nothing
    flash("You are signed out of the portal (Moodle keeps its own session).", "info")
    return redirect(url_for("auth.signin"))
