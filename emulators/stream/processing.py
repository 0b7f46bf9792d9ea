"""After the last byte: queued → inprogress → ready | error, with the real duration and size read
by ffprobe, then a signed webhook, retried a few times."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import subprocess
import threading
import time
from typing import Any

import requests

from .store import Store, now_iso, public

log = logging.getLogger(__name__)


def probe(path) -> dict[str, Any] | None:
    """Duration and dimensions of a real video file; None when it is not one."""
    try:
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                              "format=duration:stream=codec_type,width,height", "-of", "json", str(path)],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    data = json.loads(out.stdout or "{}")
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    duration = float((data.get("format") or {}).get("duration") or 0)
    if video is None or duration <= 0:
        return None
    return {"duration": round(duration, 3), "width": video.get("width", 0), "height": video.get("height", 0)}


class Processor:
    def __init__(self, store: Store, config: dict[str, Any]):
        self.store, self.config = store, config
        self.fail_next: list[str] = []       # test control: error codes for the next videos
        self.drop_webhooks = 0               # test control: webhooks to lose entirely

    def start(self, uid: str) -> None:
        self.store.update(uid, status=status("queued", "0.000000"), uploaded=now_iso())
        threading.Thread(target=self._run, args=(uid,), daemon=True).start()

    def _run(self, uid: str) -> None:
        delay = float(self.config.get("processing_delay", 0.2))
        time.sleep(delay / 2)
        if self.store.update(uid, status=status("inprogress", "50.000000")) is None:
            return                           # deleted meanwhile
        time.sleep(delay / 2)
        video = self.store.get(uid)
        if video is None:
            return
        forced = self.fail_next.pop(0) if self.fail_next else None
        info = None if forced else probe(self.store.media(uid))
        limit = video.get("maxDurationSeconds")
        if forced:
            video = self._error(uid, forced, "Processing failed (forced by the emulator's test control).")
        elif info is None:
            video = self._error(uid, "ERR_NON_VIDEO", "The file was not recognized as a valid video file.")
        elif limit and info["duration"] > limit:
            video = self._error(uid, "ERR_DURATION_EXCEED_CONSTRAINT",
                                f"The video is {info['duration']:.0f} s long; the limit is {limit} s.")
        else:
            video = self.store.update(uid, status=status("ready", "100.000000"), readyToStream=True,
                                      readyToStreamAt=now_iso(), duration=info["duration"],
                                      input={"width": info["width"], "height": info["height"]})
        if video is not None:
            self.notify(video)

    def _error(self, uid: str, code: str, text: str):
        return self.store.update(uid, status=status("error", "0.000000", code, text), readyToStream=False)

    def notify(self, video: dict[str, Any]) -> None:
        hook = self.store.doc("webhook", None)
        if not hook:
            return
        if self.drop_webhooks > 0:
            self.drop_webhooks -= 1
            return
        threading.Thread(target=deliver, args=(hook["notificationUrl"], hook["secret"], public(video)),
                         kwargs={"tries": int(self.config.get("webhook_tries", 4))}, daemon=True).start()


def status(state: str, pct: str, code: str = "", text: str = "") -> dict[str, str]:
    return {"state": state, "pctComplete": pct, "errorReasonCode": code, "errorReasonText": text}


def sign(secret: str, body: bytes, stamp: int | None = None) -> str:
    stamp = int(time.time()) if stamp is None else stamp
    sig = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"time={stamp},sig1={sig}"


def deliver(url: str, secret: str, video: dict[str, Any], *, tries: int = 4) -> bool:
    body = json.dumps(video).encode()
    for attempt in range(tries):
        try:
            resp = requests.post(url, data=body, timeout=5, headers={
                "Content-Type": "application/json", "Webhook-Signature": sign(secret, body)})
            if resp.status_code < 300:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5 * 2 ** attempt)
    log.warning("webhook to %s failed %d times", url, tries)
    return False
