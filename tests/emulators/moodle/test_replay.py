"""The emulator answers the recorded IOMAD 4.3.7 requests (in recording order, from the recorded
site's state) like the real site: status, keys, JSON types, nulls, omissions, warnings, exception
and errorcode. Every recorded request is sent, so that the emulator goes through the same changes
(e.g. block_iomad_company_admin_edit_companies), but only those with a contract are compared.
Recordings the emulator does not match yet are listed in replay_gaps.txt; the test fails when a
listed one starts to match (update the list) or a matching one regresses."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.datastructures import MultiDict

from emulators.moodle import create_app

from .replay import compare, compared, key_fields, recorded

GAPS = set((Path(__file__).parent / "replay_gaps.txt").read_text().split())


def replay():
    app = create_app("iomad-lab", siteurl="http://127.0.0.1:8088")
    client = app.test_client()
    results = {}
    site = app.extensions["moodle_site"]
    records = recorded()
    # The first request was made before an administrator switched web services on (a settings
    # page, not a web-service call): the site starts with them off and turns them on after it.
    assert records[0][0] == "core_webservice_get_site_info__ws_disabled"
    site.webservices_enabled = False
    for i, (name, rec) in enumerate(records):
        if i == 1:
            site.webservices_enabled = True
        req, res = rec["request"], rec["response"]
        url = urlparse(req["url"])
        answer = client.open(url.path, method=req["method"], query_string=url.query,
                             data=MultiDict(req.get("form") or []) if req["method"] == "POST" else None)
        if not compared(name):
            continue
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
