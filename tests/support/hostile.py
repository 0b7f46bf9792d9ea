"""The hostile-input table, replayed over every route of the app (tests/unit/test_hostile_input.py
in-process, bench/hostile_input.py against a real server): each request must get an answer below
500. One table, so the test and the bench cannot drift apart."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Iterator

from flask import Flask

BIG_IDS = ("99999999999", "9223372036854775808", "99999999999999999999", "0", "²", "١٢", "-1")
VALUES = ("99999999999999999999", "99999999999", "-1", "²", "٣", "1e2", "nan", "inf", "a\x00b",
          "\u202eevil", "' OR 1=1 --", "x" * 5000, "", " ", "%00", "2026-13-45", "1,5", "１２")
# Every query or form name a route reads (grep "args.get\|form.get" portal/).
NAMES = ("page", "assignment", "course", "company", "review", "video", "sort", "overdue", "t", "next",
         "start", "end", "unit", "per_month", "users", "months", "size_gb", "bitrate_mbps",
         "views", "videos_per_user", "retention_days", "action", "who", "object", "since", "until",
         "uid", "viewer", "cmid", "expires", "sig", "error", "code", "state", "grade", "feedback",
         "version", "body", "at_seconds", "reason", "hold", "budget")
SKIP = ("static", "auth.login", "auth.callback")   # the OAuth dance has its own tests (test_signin_faults)


@dataclass
class Probe:
    method: str
    path: str
    query: dict = field(default_factory=dict)
    form: dict | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path} {dict(self.query) or ''}{self.form or ''}"


def _paths(rule, valid: dict[str, str]) -> Iterator[str]:
    """The rule with every argument hostile in turn (the others valid), and all valid."""
    args = list(rule.arguments)

    def build(values):
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<{_converter(rule, name)}{name}>", value)
        return path

    base = {a: valid.get(a, "1") for a in args}
    if "table" in base:
        base["table"] = "courses"
    yield build(base)
    for a in args:
        if a == "table":
            continue
        for bad in BIG_IDS + ("a%00b",):
            yield build({**base, a: bad})


def _converter(rule, name: str) -> str:
    # The rule's text, e.g. "<id:submission_id>" or "<int:cmid>" or "<kind>".
    import re
    m = re.search(r"<(?:([a-zA-Z_]+)(?:\([^>]*\))?:)?" + name + ">", rule.rule)
    return (m.group(0)[1:].split(name)[0]) if m else ""


def tus_headers(length="1000", meta: dict[str, str] | None = None) -> dict:
    meta = meta or {}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    return {"Tus-Resumable": "1.0.0", "Upload-Length": length, "Upload-Metadata": encoded}


def valid_probes(app: Flask, valid: dict[str, str]) -> Iterator[Probe]:
    """Every route once with ids that exist and nothing hostile: the baseline."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or rule.endpoint.startswith("_") or "_test" in rule.rule or "_bench" in rule.rule:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Probe(method, next(_paths(rule, valid)))


def probes(app: Flask, valid: dict[str, str]) -> Iterator[Probe]:
    """Every route × the hostile table. `valid` maps argument names to ids that exist."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or rule.endpoint.startswith("_") or "_test" in rule.rule or "_bench" in rule.rule:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            for path in _paths(rule, valid):
                yield Probe(method, path)
            path = next(_paths(rule, valid))
            for name in NAMES:
                for value in VALUES:
                    if method == "GET":
                        yield Probe(method, path, query={name: value})
                    else:
                        yield Probe(method, path, form={name: value, "version": "1"})
            if rule.endpoint == "uploads.create":
                for meta in ({"filename": "a\x00b.mp4", "filetype": "video/mp4", "duration": "10"},
                             {"filename": "a.mp4", "filetype": "video/mp4", "duration": "nan"},
                             {"filename": "a.mp4", "filetype": "video/mp4", "duration": "inf"},
                             {"filename": "a.mp4", "filetype": "video/mp4", "duration": "1e400"},
                             {"filename": "\u202e.mp4", "filetype": "video/mp4\x00", "duration": "10"}):
                    yield Probe("POST", path, headers=tus_headers(meta=meta))
                for length in ("²", "99999999999999999999999", "-1", "1e3", ""):
                    yield Probe("POST", path, headers=tus_headers(length, {"filetype": "video/mp4", "duration": "5"}))


def webhook_bodies() -> Iterator[bytes]:
    """Bodies a signature can vouch for and that are still odd."""
    deep = "[" * 100000 + "]" * 100000                                      # 200 KB of nesting
    yield json.dumps({"uid": "x", "status": "ready"}).encode()              # status a string
    yield json.dumps({"uid": "x", "status": {"state": 5}}).encode()
    yield json.dumps({"uid": 5, "status": None, "duration": "nan"}).encode()
    yield json.dumps({"uid": "a\x00b", "status": {"state": "ready"}, "readyToStream": True}).encode()
    yield json.dumps({"uid": "x" * 5000, "status": {"state": "ready"}}).encode()
    yield json.dumps([1, 2, 3]).encode()
    yield b'"just a string"'
    yield deep.encode()
    yield ('{"a":' * 60000 + "1" + "}" * 60000).encode()                     # 400 KB of nested objects
    yield b"\xff\xfe not utf-8"
    yield json.dumps({"uid": "x", "status": {"state": "ready"}, "duration": 1e308, "size": -5,
                      "meta": {"name": "\u0000"}}).encode()
