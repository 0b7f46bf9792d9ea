"""Print a development .env: the portal wired to the local emulators, with fresh secrets.

`make run` writes it once; the emulators read the same values (Procfile), so the portal and its
emulators agree on tokens without any of them being committed.
"""
from __future__ import annotations

import os
import secrets

DEFAULT_PORTS = {"PORTAL_PORT": 8000, "STREAM_PORT": 8100, "MOODLE_PORT": 8200, "SMTP_PORT": 8025}


def dev_env() -> dict[str, str]:
    # Ports may be chosen by the environment, so a second demo (a test of `make run`, another
    # checkout) can run beside the first one.
    PORTAL_PORT, STREAM_PORT, MOODLE_PORT, SMTP_PORT = (
        int(os.environ.get(name, default)) for name, default in DEFAULT_PORTS.items())
    portal = f"http://127.0.0.1:{PORTAL_PORT}"
    stream = f"http://127.0.0.1:{STREAM_PORT}"
    return {
        "SECRET_KEY": secrets.token_hex(32),
        "PORTAL_BASE_URL": portal,
        "MOODLE_URL": f"http://127.0.0.1:{MOODLE_PORT}",
        "MOODLE_SERVICE_TOKEN": secrets.token_hex(16),
        "MOODLE_OAUTH_CLIENT_ID": "stream-portal",
        "MOODLE_OAUTH_CLIENT_SECRET": secrets.token_hex(24),
        "STREAM_API_BASE": f"{stream}/client/v4",
        "STREAM_ACCOUNT_ID": secrets.token_hex(16),
        "STREAM_API_TOKEN": secrets.token_hex(20),
        "STREAM_CUSTOMER_DOMAIN": stream,
        "EMBED_SHARED_SECRET": secrets.token_hex(32),
        "SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",     # the debugging server in the Procfile prints mail
        "ALERT_EMAIL": "operations@example.org",
        "USAGE_COLLECT_EVERY": "60",       # the demo's cost page fills within a minute of a view
        "PORTAL_PORT": str(PORTAL_PORT),
        "STREAM_PORT": str(STREAM_PORT),
        "MOODLE_PORT": str(MOODLE_PORT),
        "SMTP_PORT": str(SMTP_PORT),
    }


if __name__ == "__main__":
    print("# Written by `make run` for local development; never commit it.")
    for key, value in dev_env().items():
        print(f"{key}={value}")
