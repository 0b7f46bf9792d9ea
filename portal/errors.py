"""Error pages: a full page, or the same message as an htmx fragment, from one template."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .web import is_htmx_swap

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this",
    404: "Not found",
    405: "Not allowed",
    409: "Changed by someone else",
    413: "Too large",
    415: "Unsupported file type",
    422: "Please check what you entered",
    429: "Too many requests",
    500: "Something went wrong on our side",
    502: "A service we depend on is not answering",
    503: "Temporarily unavailable",
}
HINTS = {
    403: "If you think you should have access, ask your teacher or company manager.",
    404: "The page may have moved, or you may not have access to it.",
    429: "Please wait a moment and try again.",
    500: "The error has been logged. Please try again in a moment.",
    502: "Please try again in a few minutes; nothing you did was lost.",
    503: "Please try again in a few minutes; nothing you did was lost.",
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if request.path.startswith(("/api/", "/webhooks/")):
        return True
    # Under /uploads/ the tus client and scripts read JSON, but a person's page (watch, a form's
    # answer) asks for HTML and must get words, never {"error": …}.
    return best == "application/json" or (request.path.startswith("/uploads/") and best != "text/html")


def error_response(code: int, message: str | None = None):
    title = TITLES.get(code, "Error")
    message = message or HINTS.get(code, "")
    if wants_json() and not is_htmx_swap():
        return make_response(jsonify(error=title, message=message, status=code), code)
    template = "errors/_error.html" if is_htmx_swap() else "errors/error.html"
    resp = make_response(render_template(template, code=code, title=title, message=message), code)
    if is_htmx_swap():
        # Errors go to the page's message area, whatever element asked.
        resp.headers["HX-Retarget"] = "#messages"
        resp.headers["HX-Reswap"] = "innerHTML"
    return resp


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_response(400, "Your session expired or the form was stale. "
                                   "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        # A message given with abort(code, "…") is meant for people; werkzeug's defaults are not.
        custom = err.description if err.description != type(err).description else None
        return error_response(err.code, custom)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)

