"""The check that was missing (issue 15): the demo stack started exactly as `make run` starts it
(the Makefile's run target: .env written by `python -m portal.devenv`, `flask db upgrade`, honcho
with the Procfile's command lines and their relative paths) in a copy of the working tree, walked in
Chromium by the demo accounts: student1 signs in from Moodle's assignment page, uploads, sees the
video ready and playing; teacher1 plays it past 1 s, comments at that moment, approves; student1
sees the grade; manager1 sees the company report. Every page passed is screenshotted at 390 and
1280 px (test-results/make-run/) and checked for sideways scrolling and with axe-core.

It uses the demo's own SQLite in the copy, so it runs once (dbless), not once per database."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.browser import wait_js
from tests.support.layout import WIDTHS, horizontal_overflow
from tests.support.servers import free_port

pytestmark = pytest.mark.dbless

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results" / "make-run"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Pages whose layout and accessibility this test asserts (every page it passes). A page added to
# the walk and not yet right can be left out of this set: its findings are still recorded in
# test-results/make-run/findings.json.
ASSERTED = {"assignment", "assignment-uploaded", "watch", "queue", "review", "assignment-graded", "reports"}
# What is not the project's and would only slow the copy down; .venv and static/vendor are linked.
SKIP = {".git", ".venv", "node_modules", "var", "instance", ".env", "__pycache__", ".pytest_cache",
        "test-results"}


def _copy_tree(dest: Path) -> None:
    def ignore(folder, names):
        skip = {n for n in names if n in SKIP}
        if Path(folder).resolve() == ROOT / "static":
            skip.add("vendor")
        return skip
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)   # copy2 keeps mtimes: .stamps stay fresh
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    (dest / "static" / "vendor").symlink_to(ROOT / "static" / "vendor")
    if (ROOT.parent / "shared").exists() and not (dest.parent / "shared").exists():
        (dest.parent / "shared").symlink_to(ROOT.parent / "shared")


class Demo:
    def __init__(self, folder: Path, ports: dict[str, int]):
        self.folder, self.ports = folder, ports
        self.portal = f"http://127.0.0.1:{ports['PORTAL_PORT']}"
        self.moodle = f"http://127.0.0.1:{ports['MOODLE_PORT']}"
        self.log = folder / "make-run.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # Only what a person's shell has: nothing of the test session's configuration leaks in.
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")}
        env.update({k: str(v) for k, v in self.ports.items()})
        self.proc = subprocess.Popen(["make", "run"], cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"make run stopped ({self.proc.returncode}):\n{self.tail()}")
            try:
                if requests.get(f"{self.portal}/signin", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        pytest.fail(f"the demo's portal did not answer within 240 s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)        # make, honcho and every process it started
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("make-run")
    folder = base / "repo"
    _copy_tree(folder)
    ports = {name: free_port() for name in ("PORTAL_PORT", "STREAM_PORT", "MOODLE_PORT", "SMTP_PORT")}
    stack = Demo(folder, ports)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        # An error a request met in a server is a defect; the worker logs a failed round and tries
        # again (SQLite busy while the demo seeds, say): that is recorded, not failed on here.
        lines = stack.log.read_text(errors="replace").splitlines()
        errors = [line for line in lines if ("Traceback" in line or "Error:" in line)
                  and not re.match(r"^\S+ worker\.1 ", line)]
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(stack.log, SHOTS / "make-run.log")
        assert not errors, f"the demo logged errors (test-results/make-run/make-run.log):\n{stack.tail()}"


class Checks:
    """Screenshots at both widths, sideways scrolling and axe-core, per page passed."""

    def __init__(self):
        self.findings: dict[str, dict] = {}
        SHOTS.mkdir(parents=True, exist_ok=True)

    def page(self, page, name: str) -> None:
        before = page.viewport_size
        found: dict = {"url": page.url}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(150)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            over = horizontal_overflow(page)
            if over:
                found[f"overflow_{width}"] = over
        page.set_viewport_size(before)
        violations = axe(page)
        if violations:
            found["axe"] = violations
        self.findings[name] = found
        if name in ASSERTED:
            assert not any(k.startswith("overflow") for k in found), f"{name} scrolls sideways: {found}"
            assert not violations, f"axe-core on {name}: {json.dumps(violations, indent=1)}"

    def save(self) -> None:
        (SHOTS / "findings.json").write_text(json.dumps(self.findings, indent=1))


def axe(page) -> list[dict]:
    """axe-core's violations (WCAG 2 A and AA rules), from node_modules: it is never served to users.
    page.evaluate runs it through the DevTools protocol, which the portal's CSP does not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then((r) => r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))})))""")
    return result


def moodle_login(page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("#loginbtn")


def portal_sign_in(page, demo: Demo, username: str, next_path: str) -> None:
    page.goto(f"{demo.portal}/signin?next={next_path}")
    page.get_by_role("link", name="Sign in with Moodle").click()
    moodle_login(page, username)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(re.escape(demo.portal) + ".*"))


def play_past_one_second(frame) -> float:
    wait_js(frame, "document.getElementById('video').readyState >= 1", timeout=20)
    assert frame.evaluate("document.getElementById('video').error") is None
    wait_js(frame, "document.getElementById('video').currentTime > 1", timeout=20)
    return frame.evaluate("document.getElementById('video').currentTime")


def test_demo_as_make_run_starts_it(demo, browser, make_video):
    checks = Checks()
    try:
        _walk(demo, browser, make_video, checks)
    finally:
        checks.save()


def _walk(demo: Demo, browser, make_video, checks: Checks) -> None:
    # --- student1: from Moodle's assignment page to a ready video ----------------------------------
    student = browser.new_context(viewport={"width": 1280, "height": 900})
    page = student.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{demo.moodle}/mod/assign/view.php?id=101")
    moodle_login(page, "student1")
    page.get_by_role("link", name="Stream Portal", exact=True).click()   # the link in the assignment intro
    page.get_by_role("link", name="Sign in with Moodle").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{demo.portal}/a/101")
    assert page.get_by_role("heading", name="River walk video").is_visible()
    checks.page(page, "assignment")
    page.set_input_files("#file", str(make_video(5)))
    page.wait_for_selector("#upload-done", state="visible", timeout=60_000)
    sub_id = page.get_attribute("#upload", "data-submission-id")
    ready = f"#submission-{sub_id}[data-status='ready']"
    page.wait_for_selector(ready, timeout=90_000)
    checks.page(page, "assignment-uploaded")
    page.locator(ready).get_by_role("link", name="Watch").click()
    page.wait_for_selector("#stream-player")
    play_frame = page.frame_locator("#stream-player")
    play_frame.locator("video").wait_for()
    frame = page.query_selector("#stream-player").content_frame()
    frame.evaluate("const v = document.getElementById('video'); v.muted = true; v.play()")
    assert play_past_one_second(frame) > 1            # the video really plays (readyState 0 before)
    checks.page(page, "watch")

    # --- teacher1: play past 1 s, comment at that moment, approve ---------------------------------
    teacher = browser.new_context(viewport={"width": 1280, "height": 900})
    tpage = teacher.new_page()
    tpage.set_default_timeout(30_000)
    portal_sign_in(tpage, demo, "teacher1", "/grading/")
    tpage.goto(f"{demo.portal}/grading/")
    checks.page(tpage, "queue")
    tpage.click(f"#queue-rows tr[data-id='{sub_id}']")
    tpage.wait_for_selector(f"#review[data-id='{sub_id}']")
    tframe = tpage.query_selector("#stream-player").content_frame()
    wait_js(tframe, "document.getElementById('video').readyState >= 1", timeout=20)
    tpage.locator("body").focus()
    tpage.keyboard.press(" ")                          # the teacher's Play (Space)
    seconds = play_past_one_second(tframe)
    tpage.keyboard.press("c")                          # comment at the current time (pauses)
    at = float(tpage.locator("#comment-at").input_value())
    assert at >= 1, f"the comment would land at {at} s, not where the video is ({seconds} s)"
    tpage.keyboard.type("Steady shot of the river bank")
    tpage.keyboard.press("Enter")
    tpage.wait_for_selector("#comments li button.seek")
    assert float(tpage.get_attribute("#comments li button.seek", "data-seconds")) >= 1
    checks.page(tpage, "review")
    tpage.fill("#grade", "88")
    tpage.click("#approve")
    wait_js(tpage, f"document.querySelector(\"#queue-rows tr[data-id='{sub_id}'][data-review='approved']\")",
            timeout=20)
    teacher.close()

    # --- student1 sees the grade (and the comment) -------------------------------------------------
    page.goto(f"{demo.portal}/a/101")
    assert "Grade: 88 / 100" in page.text_content(f"#submission-{sub_id}")
    checks.page(page, "assignment-graded")
    page.goto(f"{demo.portal}/uploads/{sub_id}/watch")            # the comment, under the player
    assert "Steady shot of the river bank" in page.text_content("main")
    student.close()

    # --- manager1: the company report ----------------------------------------------------------------
    manager = browser.new_context(viewport={"width": 1280, "height": 900})
    mpage = manager.new_page()
    mpage.set_default_timeout(30_000)
    portal_sign_in(mpage, demo, "manager1", "/reports/")
    mpage.goto(f"{demo.portal}/reports/")
    assert "Acme Field Studies" in mpage.text_content("main")
    checks.page(mpage, "reports")
    manager.close()
