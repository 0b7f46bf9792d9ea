"""Template globals: navigation by role and URLs of the npm-installed front-end libraries."""
from __future__ import annotations

from flask import Flask, url_for
from flask_login import current_user

from . import authz
from .services.home import points


def nav_items() -> list[tuple[str, str]]:
    """(label, endpoint) pairs the signed-in user may use, in the order shown."""
    if not current_user.is_authenticated:
        return []
    items = [("My assignments", "home.index")] if authz.is_student(current_user) else []
    endpoints = {
        "grading": ("Grading queue", "grading.queue"),
        "reports": ("Company reports", "reports.index"),
        "admin": ("Operations", "admin.dashboard"),
    }
    from flask import current_app
    if authz.is_teacher(current_user) and "grading" in current_app.blueprints:
        items.append(endpoints["grading"])
    if authz.is_manager(current_user) and "reports" in current_app.blueprints:
        items.append(endpoints["reports"])
    if current_user.is_site_admin and "admin" in current_app.blueprints:
        items.append(endpoints["admin"])
    return items


def vendor_url(name: str) -> str:
    """A library copied from node_modules by `make assets` (git-ignored, never committed)."""
    return url_for("static", filename=f"vendor/{name}")


def clock(seconds: float | None) -> str:
    """A moment of a video as players show it: 1:05, or 1:02:05 past an hour."""
    s = int(seconds or 0)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


# Review states as a teacher or student says them (the stored values are keys, not words).
REVIEW_WORDS = {"new": "Not reviewed yet", "in_review": "Being reviewed", "approved": "Approved",
                "resubmit": "Resubmission requested"}


VIDEO_WORDS = {"uploading": "Uploading", "processing": "Processing", "ready": "Ready",
               "error": "Could not be processed", "expired": "Not finished", "deleted": "Removed"}


def review_words(state: str | None) -> str:
    return REVIEW_WORDS.get(state or "", state or "")


def video_words(status: str | None) -> str:
    return VIDEO_WORDS.get(status or "", status or "")


def lateness(handed_in, due) -> str | None:
    from .services.submissions import lateness as _lateness
    return _lateness(handed_in, due)


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(nav_items=nav_items, vendor_url=vendor_url, lateness=lateness)
    app.jinja_env.filters.update(clock=clock, review_words=review_words, video_words=video_words, points=points)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
