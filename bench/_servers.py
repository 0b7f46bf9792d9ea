"""Benchmark helpers: emulators as separate processes (their own GIL), free ports, timing."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stream_emulator(data_dir: Path, account="b" * 32, token="bench-token"):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "emulators.stream", "--port", str(port), "--account-id", account,
                             "--api-token", token, "--data-dir", str(data_dir), "--processing-delay", "0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/")
    return proc, f"http://127.0.0.1:{port}", account, token


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def random_file(path: Path, size: int) -> Path:
    if not path.exists() or path.stat().st_size != size:
        with open(path, "wb") as fh:
            block = os.urandom(1024 * 1024)
            for _ in range(size // len(block)):
                fh.write(block)
            fh.write(block[: size % len(block)])
    return path
