"""Response headers every page carries: CSP, no sniffing, no framing of the portal itself."""
from __future__ import annotations

from flask import Flask, current_app


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
        "frame-ancestors 'self' " + settings.moodle_url,
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

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if current_app.config["SETTINGS"].secure_cookies:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp
