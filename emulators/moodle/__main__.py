"""python -m emulators.moodle: serve the Moodle/IOMAD emulator (options or MOODLE_EMU_* variables)."""
from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from . import DEFAULTS, create_app
from .datasets import DATASETS


def main() -> None:
    env = os.environ.get
    p = argparse.ArgumentParser(description="Local Moodle/IOMAD emulator")
    p.add_argument("--dataset", choices=sorted(DATASETS), default=env("MOODLE_EMU_DATASET", "demo"))
    p.add_argument("--host", default=env("MOODLE_EMU_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("MOODLE_EMU_PORT", "8200")))
    p.add_argument("--site-url", default=env("MOODLE_EMU_SITE_URL"))
    p.add_argument("--portal-url", default=env("MOODLE_EMU_PORTAL_URL", DEFAULTS["portal_url"]))
    p.add_argument("--service-token", default=env("MOODLE_EMU_SERVICE_TOKEN", DEFAULTS["service_token"]))
    p.add_argument("--oauth-client-id", default=env("MOODLE_EMU_OAUTH_CLIENT_ID", DEFAULTS["oauth_client_id"]))
    p.add_argument("--oauth-secret", default=env("MOODLE_EMU_OAUTH_SECRET", DEFAULTS["oauth_secret"]))
    p.add_argument("--redirect-uris", default=env("MOODLE_EMU_REDIRECT_URIS", ",".join(DEFAULTS["redirect_uris"])))
    p.add_argument("--embed-secret", default=env("MOODLE_EMU_EMBED_SECRET", ""))
    p.add_argument("--debug-info", action="store_true", help="Add debuginfo to error envelopes")
    a = p.parse_args()
    site_url = a.site_url or f"http://{a.host}:{a.port}"
    app = create_app(a.dataset, siteurl=site_url, portal_url=a.portal_url, service_token=a.service_token,
                     oauth_client_id=a.oauth_client_id, oauth_secret=a.oauth_secret,
                     redirect_uris=[u for u in a.redirect_uris.split(",") if u], debug=a.debug_info,
                     embed_secret=a.embed_secret)
    print(f"Moodle emulator ({a.dataset}): {site_url}", flush=True)
    run_simple(a.host, a.port, app, threaded=True)


if __name__ == "__main__":
    main()
