"""A large upload through the real student page (Chromium + tus-js-client) against the Stream
emulator, with tuspy on the same emulator as the baseline, in the same run. Measures the portal's
RSS during the upload and the request-body bytes the portal received (targets: RSS within 20 MB,
0 bytes of video; browser throughput >= 80 % of tuspy). Usage: python bench/student_upload.py [MiB]"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from _portal import portal
from _servers import random_file, start_stream_emulator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tusclient import client as tus  # noqa: E402

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.servers import ServerThread, free_port  # noqa: E402

MiB = 1024 * 1024


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / MiB


class BodyCounter:
    """WSGI middleware: the request-body bytes the portal was sent."""

    def __init__(self, app):
        self.app, self.bytes = app, 0

    def __call__(self, environ, start_response):
        self.bytes += int(environ.get("CONTENT_LENGTH") or 0)
        return self.app(environ, start_response)


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # A real video header so the browser can read a duration; the rest is filler bytes.
        import subprocess
        head = tmp / "head.mp4"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=5:size=320x240",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(head)], check=True)
        src = tmp / "big.mp4"
        random_file(tmp / "filler.bin", size_mib * MiB - head.stat().st_size)
        with open(src, "wb") as out:
            out.write(head.read_bytes())
            out.write((tmp / "filler.bin").read_bytes())
        (tmp / "filler.bin").unlink()
        proc, stream_url, account, token = start_stream_emulator(tmp / "stream")
        port = free_port()
        try:
            with portal("sqlite", base_url=f"http://127.0.0.1:{port}", stream_api_base=f"{stream_url}/client/v4",
                        stream_account_id=account, stream_api_token=token, stream_customer_domain=stream_url) as app:
                from flask_login import login_user

                from portal.extensions import db
                from portal.models import Assignment, Course, Enrolment, User
                from portal.services.stream import StreamClient

                course = Course(moodle_id=1, shortname="C", fullname="Course")
                student = User(moodle_id=1, username="s", fullname="Student", email="")
                db.session.add_all([course, student])
                db.session.flush()
                db.session.add_all([Enrolment(user_id=student.id, course_id=course.id, role="student"),
                                    Assignment(moodle_id=1, cmid=1, course_id=course.id, name="Big upload",
                                               max_bytes=6 * 1024**3, max_minutes=30, max_attempts=1)])
                db.session.commit()

                @app.get("/_bench/login")
                def _login():
                    login_user(db.session.get(User, student.id))
                    return "ok"
                counter = BodyCounter(app.wsgi_app)
                app.wsgi_app = counter
                server = ServerThread(app, port=port).start()
                samples, done = [], threading.Event()

                def sample():
                    while not done.is_set():
                        samples.append(rss_mb())
                        time.sleep(0.2)
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    page = browser.new_page()
                    page.set_default_timeout(600_000)
                    page.goto(f"{server.url}/_bench/login")
                    page.goto(f"{server.url}/a/1")
                    before = rss_mb()
                    threading.Thread(target=sample, daemon=True).start()
                    start = time.perf_counter()
                    page.set_input_files("#file", str(src))
                    page.wait_for_selector("#upload-done", state="visible")
                    browser_s = time.perf_counter() - start
                    done.set()
                    browser.close()
                server.stop()
                client = StreamClient(f"{stream_url}/client/v4", account, token)
                upload = client.create_tus_upload(upload_length=src.stat().st_size, creator="bench", name="b.mp4",
                                                  max_duration_seconds=600)
                start = time.perf_counter()
                tus.TusClient(upload.upload_url).uploader(str(src), url=upload.upload_url, chunk_size=50 * MiB).upload()
                tuspy_s = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait()
    browser_rate, tuspy_rate = size_mib / browser_s, size_mib / tuspy_s
    growth = max(samples) - before
    print(f"file: {size_mib} MiB; browser (Chromium + tus-js-client, 50 MiB chunks): {browser_rate:.0f} MiB/s; "
          f"tuspy: {tuspy_rate:.0f} MiB/s; ratio {browser_rate / tuspy_rate:.0%} (target >= 80 %)")
    print(f"portal RSS: {before:.0f} MB before, {max(samples):.0f} MB peak (+{growth:.1f} MB, target <= 20 MB)")
    print(f"request-body bytes received by the portal during the upload: {counter.bytes} (target: 0 bytes of video)")
    print(json.dumps({"size_mib": size_mib, "browser_mib_s": round(browser_rate, 1), "tuspy_mib_s": round(tuspy_rate, 1),
                      "ratio": round(browser_rate / tuspy_rate, 3), "portal_rss_growth_mb": round(growth, 1),
                      "portal_body_bytes": counter.bytes}))


if __name__ == "__main__":
    main()
