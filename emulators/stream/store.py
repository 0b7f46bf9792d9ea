"""Videos, keys and the webhook setting, kept as JSON files in the data folder (a restart keeps
them), with the uploaded bytes beside them."""
from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Bookkeeping of the emulator, never part of Stream's video object (API answers and webhooks).
PRIVATE = ("uploadLength", "uploadOffset", "directUpload", "captions")
# The contract types these as strings or numbers: an unset one is left out, not null.
OMIT_WHEN_UNSET = ("scheduledDeletion", "readyToStreamAt", "uploaded", "creator", "maxDurationSeconds",
                   "maxSizeBytes", "size", "watermark")


def public(video: dict[str, Any]) -> dict[str, Any]:
    """The video object as Stream shows it, in API answers and in webhook bodies alike."""
    return {k: v for k, v in video.items()
            if k not in PRIVATE and not (k in OMIT_WHEN_UNSET and v is None)}


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class Store:
    def __init__(self, root: Path):
        # Absolute from the start: a relative folder (the Procfile's `--data-dir var/stream`) means
        # the working directory's, but Flask's send_file would read it against the package folder.
        self.root = Path(root).resolve()
        (self.root / "videos").mkdir(parents=True, exist_ok=True)
        (self.root / "media").mkdir(exist_ok=True)
        self.lock = threading.RLock()
        self.upload_locks: dict[str, threading.Lock] = {}

    # --- videos ------------------------------------------------------------------------------
    def _path(self, uid: str) -> Path:
        return self.root / "videos" / f"{uid}.json"

    def media(self, uid: str) -> Path:
        return self.root / "media" / uid

    def new_uid(self) -> str:
        return uuid.uuid4().hex

    def get(self, uid: str) -> dict[str, Any] | None:
        if not uid.isalnum():
            return None
        try:
            return json.loads(self._path(uid).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def put(self, video: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            video["modified"] = now_iso()
            tmp = self._path(video["uid"]).with_suffix(".tmp")
            tmp.write_text(json.dumps(video))
            os.replace(tmp, self._path(video["uid"]))
        return video

    def update(self, uid: str, **fields: Any) -> dict[str, Any] | None:
        with self.lock:
            video = self.get(uid)
            if video is None:
                return None
            video.update(fields)
            return self.put(video)

    def delete(self, uid: str) -> bool:
        with self.lock:
            existed = self._path(uid).exists()
            self._path(uid).unlink(missing_ok=True)
            self.media(uid).unlink(missing_ok=True)
            shutil.rmtree(self.root / "hls" / uid, ignore_errors=True)
            return existed

    def all(self) -> list[dict[str, Any]]:
        out = []
        for p in self.root.joinpath("videos").glob("*.json"):
            try:
                out.append(json.loads(p.read_text()))
            except ValueError:
                continue
        return sorted(out, key=lambda v: v["created"])

    def upload_lock(self, uid: str) -> threading.Lock:
        with self.lock:
            return self.upload_locks.setdefault(uid, threading.Lock())

    # --- small documents (keys, webhook, analytics) ---------------------------------------------
    def doc(self, name: str, default: Any) -> Any:
        try:
            return json.loads((self.root / f"{name}.json").read_text())
        except (FileNotFoundError, ValueError):
            return default

    def save_doc(self, name: str, value: Any) -> None:
        with self.lock:
            tmp = self.root / f"{name}.tmp"
            tmp.write_text(json.dumps(value))
            os.replace(tmp, self.root / f"{name}.json")
