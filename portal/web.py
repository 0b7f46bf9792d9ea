"""The one place that reads HX-* headers: a page, or only its region when htmx swaps it."""
from __future__ import annotations

from flask import Response, make_response, render_template

from .extensions import htmx


def is_htmx_swap(target: str | None = None) -> bool:
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def render_region(target: str, page: str, partial: str, status: int = 200, **ctx) -> Response:
    """The page, or only `partial` when htmx is swapping #target."""
    template = partial if is_htmx_swap(target) else page
    resp = make_response(render_template(template, **ctx), status)
    resp.vary.add("HX-Request")
    resp.vary.add("HX-Target")
    return resp
