"""Rate limits (issue 18.5), with Flask-Limiter: every limit of the portal in one table.

Sign-in starts and callbacks count per client address (nobody is signed in yet); upload creation,
status polls and CSV exports count per signed-in user. Counters live in RATELIMIT_STORAGE_URL:
memory:// in tests and a single process, Redis in production with several workers. A refused
request gets a 429 page (or htmx fragment, or JSON for the uploader) that says when to try again,
with Retry-After.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user

from .errors import error_response

# endpoint -> (limit, counted per). Generous for people, tight for scripts: the upload page polls
# its status every few seconds, tus-js-client retries a creation a few times.
LIMITS: dict[str, tuple[str, str]] = {
    "auth.login": ("20 per minute", "address"),
    "auth.callback": ("20 per minute", "address"),
    "auth.moodle_launch": ("20 per minute", "address"),     # the plugin's signed sign-in link
    "uploads.create": ("30 per minute", "user"),
    "uploads.status": ("120 per minute", "user"),
}
# CSV exports share one budget per user, whichever table.
EXPORTS = ("reports.companies_csv", "reports.forecast_csv", "reports.company_csv")
EXPORT_LIMIT = "20 per minute"


def client_address() -> str:
    # request.remote_addr is the client's own: ProxyFix (TRUST_PROXY) has already read X-Forwarded-For.
    return request.remote_addr or "unknown"


def signed_in_user() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{client_address()}"


KEYS = {"address": client_address, "user": signed_in_user}


def limiter_of(app: Flask) -> Limiter:
    return app.extensions["portal_limiter"]


def retry_after_seconds() -> int:
    """Seconds until the limit that refused this request lets one through again."""
    limit = limiter_of(current_app).current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def seconds_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def init_limits(app: Flask) -> None:
    """One Limiter per app (tests build many apps; each keeps its own counters). Call after every
    blueprint is registered: the limits wrap the registered view functions."""
    settings = app.config["SETTINGS"]
    limiter = Limiter(key_func=client_address, app=app, storage_uri=settings.ratelimit_storage_url,
                      enabled=settings.ratelimit_enabled, headers_enabled=False,  # Retry-After: ours, below
                      strategy="fixed-window", swallow_errors=True)  # a Redis outage lets requests through
    app.extensions["portal_limiter"] = limiter
    for endpoint, (limit, per) in LIMITS.items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(limit, key_func=KEYS[per])(app.view_functions[endpoint])
    exports = limiter.shared_limit(EXPORT_LIMIT, scope="csv-exports", key_func=signed_in_user)
    for endpoint in EXPORTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = exports(app.view_functions[endpoint])

    @app.errorhandler(RateLimitExceeded)
    def _too_many(err: RateLimitExceeded):
        wait = retry_after_seconds()
        resp = error_response(429, f"Too many tries in a short time. Please wait {seconds_in_words(wait)} "
                                   "and try again; nothing you did was lost.")
        resp.headers["Retry-After"] = str(wait)
        return resp
