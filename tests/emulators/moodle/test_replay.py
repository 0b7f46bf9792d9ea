"""The emulator answers the recorded IOMAD 4.3.7 requests (in recording order, from the recorded
site's state) like the real site: status, keys, JSON types, nulls, omissions, warnings, exception
and errorcode. Recordings the emulator does not match yet are listed in replay_gaps.txt; the test
fails when a listed one starts to match (update the list) or a matching one regresses."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.datastructures import MultiDict

from emulators.moodle import create_app

from .replay import compare, key_fields, recordings

GAPS = set((Path(__file__).parent / "replay_gaps.txt").read_text().split())


def replay():
    app = create_app("iomad-lab", siteurl="http://127.0.0.1:8088")
    client = app.test_client()
    results = {}
    for name, rec in recordings():
        req, res = rec["request"], rec["response"]
        url = urlparse(req["url"])
        answer = client.open(url.path, method=req["method"], query_string=url.query,
                             data=MultiDict(req.get("form") or []) if req["method"] == "POST" else None)
        diffs = [] if answer.status_code == res["status"] else [f"status {res['status']} vs {answer.status_code}"]
        if res["body_raw"] == "null":
            diffs += [] if answer.data.strip() == b"null" else ["a null body was recorded"]
        elif res["body_json"] is not None:
            got = answer.get_json(silent=True)
            diffs += compare(res["body_json"], got)
            if key_fields(res["body_json"]) != key_fields(got):
                diffs.append(f"{key_fields(res['body_json'])} recorded, {key_fields(got)} answered")
        results[name] = diffs
    return results


@pytest.fixture(scope="module")
def results():
    return replay()


def test_most_recordings_are_replayed(results):
    assert len(results) >= 100


def test_faithful_recordings_stay_faithful(results):
    regressed = {n: d for n, d in results.items() if d and n not in GAPS}
    assert regressed == {}


def test_gap_list_is_current(results):
    fixed = sorted(n for n in GAPS if n in results and not results[n])
    assert fixed == [], "these now match: remove them from replay_gaps.txt"
