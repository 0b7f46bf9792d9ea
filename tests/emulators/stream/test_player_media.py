"""The emulator serves the uploaded file when started as `make run` starts it: from a working
directory, with a relative --data-dir (the Procfile's `--data-dir var/stream`). Flask's send_file
resolves a relative path against the package folder, so the folder must be made absolute at start-up."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from portal.services.stream import StreamClient, sign_playback_token
from tests.support.servers import free_port

from .helpers import upload_file

ROOT = Path(__file__).resolve().parents[3]


class _Emu:
    account_id, api_token = "a" * 32, "tok"

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.url}/client/v4"


def test_relative_data_dir_serves_the_video_file(tmp_path, make_video):
    port = free_port()
    emu = _Emu(port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.stream", "--port", str(port), "--account-id", emu.account_id,
         "--api-token", emu.api_token, "--data-dir", "var/stream", "--processing-delay", "0.1"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                requests.get(emu.url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        video = make_video(3)
        uid = upload_file(emu, video)
        client = StreamClient(emu.base_url, emu.account_id, emu.api_token)
        for _ in range(300):
            if client.get_video(uid)["status"]["state"] == "ready":
                break
            time.sleep(0.05)
        key = client.create_signing_key()
        token = sign_playback_token(uid, key.id, key.pem, ttl_seconds=120)
        r = requests.get(f"{emu.url}/{token}/video.mp4", timeout=10)
        assert r.status_code == 200, r.text[:200]
        assert r.content == video.read_bytes()
        assert (tmp_path / "var/stream/media" / uid).exists()     # the folder is the working directory's
    finally:
        proc.terminate()
        proc.wait(10)
