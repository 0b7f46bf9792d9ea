"""A large upload through the real student page (Chromium + tus-js-client) against the Stream
emulator, with tuspy on the same emulator as the baseline, in the same run. Measures the portal's
RSS during the upload and the request-body bytes the portal received (targets: RSS within 20 MB,
0 bytes of video; browser throughput >= 80 % of tuspy), and what one dropped connection costs at
1 Mbit/s: the page, throttled by Chromium to 1 Mbit/s up, sizes its next chunk from the first one;
the connection is cut mid-chunk and the bytes sent again after the resume are counted (the chunk in
flight is lost; worst case the whole chunk), against the former fixed 50 MiB chunk.
Usage: python bench/student_upload.py [MiB]"""
from __future__ import annotations

import json
import os
import resource
import socket
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
SLOW = 1_000_000 / 8          # 1 Mbit/s in bytes per second
OLD_CHUNK = 50 * MiB          # the fixed chunk before sizes followed the link


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
                                               max_bytes=6 * 1024**3, max_minutes=30, max_attempts=1),
                                    Assignment(moodle_id=2, cmid=2, course_id=course.id, name="Slow link",
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
                    fast_chunk = int(page.get_attribute("#upload", "data-current-chunk") or 0)
                    drop = dropped_connection_at_1_mbit(browser, server.url, stream_url, tmp)
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
    print(f"file: {size_mib} MiB; browser (Chromium + tus-js-client, chunks sized from the speed): {browser_rate:.0f} MiB/s; "
          f"tuspy: {tuspy_rate:.0f} MiB/s; ratio {browser_rate / tuspy_rate:.0%} (target >= 80 %)")
    print(f"portal RSS: {before:.0f} MB before, {max(samples):.0f} MB peak (+{growth:.1f} MB, target <= 20 MB)")
    print(f"request-body bytes received by the portal during the upload: {counter.bytes} (target: 0 bytes of video)")
    print(f"chunks on loopback grew to {fast_chunk / MiB:.0f} MiB; at 1 Mbit/s the page chose {drop['chunk'] / MiB:.2f} MiB")
    print(f"one drop at 1 Mbit/s, cut when the page had sent {drop['into_chunk'] / MiB:.1f} MiB of the chunk: "
          f"{drop['lost']:,} bytes sent again ({drop['lost'] / SLOW:.0f} s); worst case the whole chunk, "
          f"{drop['chunk']:,} bytes ({drop['chunk'] / SLOW:.0f} s), vs {OLD_CHUNK:,} bytes ({OLD_CHUNK / SLOW:.0f} s) "
          f"with the former fixed 50 MiB chunk (target: about a minute)")
    print(json.dumps({"size_mib": size_mib, "browser_mib_s": round(browser_rate, 1), "tuspy_mib_s": round(tuspy_rate, 1),
                      "ratio": round(browser_rate / tuspy_rate, 3), "portal_rss_growth_mb": round(growth, 1),
                      "portal_body_bytes": counter.bytes, "loopback_chunk_bytes": fast_chunk,
                      "drop_1mbit_lost_bytes": drop["lost"], "drop_1mbit_worst_bytes": drop["chunk"],
                      "drop_1mbit_worst_s": round(drop["chunk"] / SLOW, 1),
                      "drop_1mbit_worst_bytes_fixed_50mib": OLD_CHUNK}))


class SlowLink:
    """A TCP relay in front of the Stream emulator: browser-to-Stream bytes at `rate` bytes/s (small
    socket buffers, so the browser's progress is what left it), and cut() resets every connection,
    as a phone losing its signal does."""

    def __init__(self, target_port: int, rate: float):
        self.target, self.rate = target_port, rate
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, slow: bool) -> None:
        try:
            while data := src.recv(4096 if slow else 65536):
                dst.sendall(data)
                if slow:
                    time.sleep(len(data) / self.rate)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def cut(self) -> None:
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conns = []

    def close(self) -> None:
        self.cut()
        self.server.close()


def dropped_connection_at_1_mbit(browser, portal_url: str, stream_url: str, tmp: Path) -> dict:
    """Upload at 1 Mbit/s through SlowLink, let the page size its second chunk from the first, cut
    the connection during that chunk, and count what is sent again: the bytes the page had
    sent before the cut minus the offset Stream holds when it goes on (progress falls back to it)."""
    import subprocess
    clip = tmp / "slow.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=5:size=320x240",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(tmp / "head.mp4")], check=True)
    with open(clip, "wb") as out:            # 12 MiB: a first chunk, then a second one to cut
        out.write((tmp / "head.mp4").read_bytes())
        out.write(os.urandom(12 * MiB - out.tell()))
    stream_port = int(stream_url.rsplit(":", 1)[1])
    link = SlowLink(stream_port, SLOW)
    context = browser.new_context(bypass_csp=True)      # the relay is not in the portal's connect-src
    page = context.new_page()
    page.set_default_timeout(600_000)
    page.goto(f"{portal_url}/_bench/login")
    page.goto(f"{portal_url}/a/2")

    def via_slow_link(route):             # the upload URL Stream hands out, reached over the slow link
        response = route.fetch()
        headers = dict(response.headers)
        headers["location"] = headers["location"].replace(stream_url, f"http://127.0.0.1:{link.port}")
        route.fulfill(response=response, headers=headers)
    page.route("**/uploads/2/tus", via_slow_link)

    total = clip.stat().st_size
    sent = lambda: page.evaluate("document.getElementById('bar').value") / 100 * total  # noqa: E731
    page.set_input_files("#file", str(clip))
    # The first chunk is Stream's smallest; once it is in, the page has sized the next from it.
    while not page.get_attribute("#upload", "data-current-chunk"):
        page.wait_for_timeout(200)
    chunk = int(page.get_attribute("#upload", "data-current-chunk"))
    chunk_start = sent()
    while sent() < chunk_start + 1 * MiB:       # well into the second chunk
        page.wait_for_timeout(100)
    before = sent()
    link.cut()
    low = before
    while True:                                 # progress falls back to Stream's offset, then climbs
        now = sent()
        low = min(low, now)
        if now > low + 256 * 1024:
            break
        page.wait_for_timeout(100)
    context.close()
    link.close()
    return {"chunk": chunk, "lost": int(before - low), "into_chunk": before - chunk_start}


if __name__ == "__main__":
    main()
