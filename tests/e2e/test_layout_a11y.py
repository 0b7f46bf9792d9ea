"""Every main page, as each role, at a phone's 360 px and a laptop's 1280 px: nothing scrolls
sideways, and axe-core (from npm, injected by the test only) finds no violation on the pages this
portal owns. Set PAGE_SCREENSHOTS=<dir> to keep a screenshot of each page for a person to look at."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.reports_world import add_usage, build

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (360, 1280)
# The upload page's own content belongs to its journey's tests; here it is checked for overflow only.
AXE_SKIP = ("/a/",)


def _pages(w) -> dict[str, tuple[object, list[str]]]:
    acme, geo = w.acme.id, w.geo.id
    return {
        "student": (w.s2, ["/", f"/a/{w.X.cmid}", f"/uploads/{w.s2X1.id}/watch"]),
        "teacher": (w.t1, ["/", "/grading/", f"/grading/{w.s2X2.id}", "/grading/?review=approved"]),
        "manager": (w.manager_a, ["/", "/reports/", f"/reports/companies/{acme}",
                                  f"/reports/companies/{acme}/courses/{geo}",
                                  f"/reports/companies/{acme}/assignments/{w.X.id}",
                                  f"/reports/companies/{acme}/charts", f"/reports/companies/{acme}/audit",
                                  "/reports/forecast", "/reports/forecast?users=many"]),
        "admin": (w.admin, ["/", "/admin/alerts/stuck", "/admin/alerts/dead_syncs", "/admin/audit"]),
    }


def _check(page, url: str, label: str) -> list[str]:
    problems = []
    wide = page.evaluate("""() => {
        const d = document.documentElement;
        if (d.scrollWidth <= d.clientWidth) return null;
        const culprits = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > d.clientWidth + 1)
            .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
        return d.scrollWidth + ' > ' + d.clientWidth + ' (' + culprits.join(', ') + ')';
    }""")
    if wide:
        problems.append(f"{label}: scrolls sideways {wide}")
    if page.viewport_size["width"] >= 1280:       # on a laptop no table hides columns in its scroll box
        clipped = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.scrollWidth + ' > ' + e.clientWidth)""")
        if clipped:
            problems.append(f"{label}: a table is clipped {clipped}")
    if not any(skip in url for skip in AXE_SKIP):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {iframes: false, resultTypes: ['violations']})")
        for v in result["violations"]:
            targets = [n["target"] for n in v["nodes"][:3]]
            problems.append(f"{label}: axe {v['id']} ({v['impact']}): {v['help']} at {json.dumps(targets)}")
    return problems


@pytest.mark.parametrize("role", ["student", "teacher", "manager", "admin"])
def test_no_page_scrolls_sideways_and_axe_finds_nothing(browser, live_portal, make, db, role):
    w = build(make, db)
    add_usage(db, w)
    user, urls = _pages(w)[role]
    shots = os.environ.get("PAGE_SCREENSHOTS")
    problems = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True,
                                      has_touch=width < 600, is_mobile=width < 600)
        page = context.new_page()
        page.set_default_timeout(15_000)
        live_portal.login(page, user)
        for url in urls:
            page.goto(live_portal.url + url)
            page.wait_for_load_state("networkidle")
            label = f"{role} {url} at {width}px"
            if shots:
                name = f"{role}-{width}-{url.strip('/').replace('/', '_').replace('?', '_') or 'home'}.png"
                page.screenshot(path=str(Path(shots) / name), full_page=True)
            problems += _check(page, url, label)
        context.close()
    assert problems == [], "\n".join(problems)
