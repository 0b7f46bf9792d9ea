"""Response headers every page carries: CSP, no sniffing, framing only of the Moodle embed, and
no caching of pages that carry a playback token."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request

# Blueprints whose pages Moodle frames (the companion plugin's iframe, locallib.php); every other
# page refuses to be framed at all (issue 18.12).
FRAMED_BY_MOODLE = ("embed",)


def no_store() -> None:
    """This response carries a secret (a playback token): Cache-Control: no-store."""
    if has_request_context():
        request.environ["portal.no_store"] = True


def content_security_policy(settings) -> str:
    # The Stream player is the only thing framed, and the only other origin the browser talks to
    # is Stream's tus upload host; scripts are ours only (no inline script anywhere).
    frame = settings.stream_customer_domain
    upload = " ".join(sorted({settings.stream_api_base.split("/client/")[0], frame}))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: " + frame,
        f"frame-src {frame}",
        f"connect-src 'self' {upload} https://upload.cloudflarestream.com https://upload.videodelivery.net",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' " + settings.moodle_url,
    ])


def init_security(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",       # Lax: the OAuth callback is a top-level GET from Moodle
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    csp = content_security_policy(settings)

    framed_csp = f"{csp}; frame-ancestors {settings.moodle_url}"
    unframed_csp = f"{csp}; frame-ancestors 'none'"

    @app.after_request
    def _headers(resp):
        if request.blueprint in FRAMED_BY_MOODLE:
            resp.headers.setdefault("Content-Security-Policy", framed_csp)
        else:
            resp.headers.setdefault("Content-Security-Policy", unframed_csp)
            resp.headers.setdefault("X-Frame-Options", "DENY")
        if request.environ.get("portal.no_store"):
            resp.headers["Cache-Control"] = "no-store"
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if current_app.config["SETTINGS"].secure_cookies:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp
