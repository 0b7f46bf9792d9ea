"""`flask dev bootstrap`: what `make run` does once the emulators answer.

Creates the playback signing key and registers the webhook at Stream when .env lacks them (the
same calls an operator makes once against the real services), then seeds the demo data.
"""
from __future__ import annotations

import time
from pathlib import Path

import click
import requests
from flask import current_app

from .config import ROOT

ENV_FILE = ROOT / ".env"


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise click.ClickException(f"{url} did not answer within {timeout:.0f} s")
            time.sleep(0.3)


def append_env(values: dict[str, str], path: Path = ENV_FILE) -> None:
    with path.open("a") as fh:
        for key, value in values.items():
            # PEM keys span lines: python-dotenv reads a double-quoted value with \n escapes.
            escaped = value.replace("\n", "\\n")
            fh.write(f'{key}="{escaped}"\n')


@click.group("dev")
def dev_cli():
    """Local development helpers (make run)."""


@dev_cli.command("bootstrap")
@click.option("--seed/--no-seed", default=True, help="Seed demo submissions when the database is empty.")
def bootstrap(seed: bool):
    from .services import stream as stream_service

    settings = current_app.config["SETTINGS"]
    wait_for(settings.moodle_url + "/")
    wait_for(settings.stream_customer_domain + "/")
    client = stream_service.client_from_settings(settings)
    new: dict[str, str] = {}
    if not settings.stream_key_id:
        key = client.create_signing_key()
        new.update(STREAM_SIGNING_KEY_ID=key.id, STREAM_SIGNING_KEY_PEM=key.pem)
        click.echo(f"created playback signing key {key.id}")
    if not settings.stream_webhook_secret:
        secret = client.set_webhook(settings.base_url + "/webhooks/stream")
        new["STREAM_WEBHOOK_SECRET"] = secret
        click.echo("registered the Stream webhook")
    if new:
        append_env(new)
    if seed:
        from .demo import seed_demo
        seed_demo(click.echo)
