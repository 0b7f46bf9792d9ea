"""Test controls apart from the contract's paths: make Moodle fail or slow, read what it received,
change roles, revoke tokens, reset to the dataset."""
from __future__ import annotations

import threading
import time

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("moodle_control", __name__, url_prefix="/_emulator")


class Control:
    def __init__(self):
        self.failures: list[tuple[int, str]] = []
        self.latency_ms = 0
        self.calls = 0
        self.lock = threading.Lock()

    def fail_next(self, n: int, status: int = 503, kind: str = "html") -> None:
        with self.lock:
            self.failures = [(status, kind)] * n

    def take_failure(self):
        with self.lock:
            self.calls += 1
            if not self.failures:
                return None
            status, kind = self.failures.pop(0)
        body = "<html><body><h1>Service Unavailable</h1></body></html>" if kind == "html" else ""
        return current_app.response_class(body, status=status, mimetype="text/html")

    def delay(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)


def control() -> Control:
    return current_app.extensions["moodle_control"]


@bp.post("/fail")
def fail():
    body = request.get_json(silent=True) or {}
    control().fail_next(int(body.get("count", 1)), int(body.get("status", 503)), body.get("kind", "html"))
    return jsonify(ok=True)


@bp.post("/latency")
def latency():
    control().latency_ms = int((request.get_json(silent=True) or {}).get("ms", 0))
    return jsonify(ok=True)


@bp.get("/grades/<int:assignmentid>")
def grades(assignmentid: int):
    site = current_app.extensions["moodle_site"]
    return jsonify({str(uid): {"grade": g["grade"], "feedback": g.get("feedback"), "grader": g["grader"],
                               "timemodified": g["timemodified"]}
                    for (aid, uid), g in site.grades.items() if aid == assignmentid})


@bp.post("/reset")
def reset():
    current_app.extensions["moodle_reset"]()
    return jsonify(ok=True)
