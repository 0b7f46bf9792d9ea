"""python -m emulators.stream: serve the Stream emulator (options or STREAM_EMU_* variables)."""
from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from . import DEFAULTS, create_app


def main() -> None:
    env = os.environ.get
    p = argparse.ArgumentParser(description="Local Cloudflare Stream emulator")
    p.add_argument("--host", default=env("STREAM_EMU_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("STREAM_EMU_PORT", "8100")))
    p.add_argument("--account-id", default=env("STREAM_EMU_ACCOUNT_ID", DEFAULTS["account_id"]))
    p.add_argument("--api-token", default=env("STREAM_EMU_API_TOKEN", DEFAULTS["api_token"]))
    p.add_argument("--data-dir", default=env("STREAM_EMU_DATA_DIR", "var/stream"))
    p.add_argument("--public-url", default=env("STREAM_EMU_PUBLIC_URL"),
                   help="URL browsers use to reach this server (default http://HOST:PORT)")
    p.add_argument("--processing-delay", type=float, default=float(env("STREAM_EMU_PROCESSING_DELAY", "1.0")))
    p.add_argument("--no-control", action="store_true", help="Hide the /_emulator test controls")
    a = p.parse_args()
    public = a.public_url or f"http://{a.host}:{a.port}"
    a.data_dir = os.path.abspath(a.data_dir)       # relative to where it was started, as a person means it
    os.makedirs(a.data_dir, exist_ok=True)
    app = create_app({"account_id": a.account_id, "api_token": a.api_token, "data_dir": a.data_dir,
                      "public_url": public, "processing_delay": a.processing_delay, "control": not a.no_control})
    print(f"Stream emulator: API {public}/client/v4/accounts/{a.account_id}/stream", flush=True)
    run_simple(a.host, a.port, app, threaded=True)


if __name__ == "__main__":
    main()
