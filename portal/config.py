"""Settings read once from the environment, typed and checked at start-up.

A missing or malformed setting stops start-up with a message naming it, so a misconfigured
deployment fails loudly instead of half-working.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not describe a portal that can run."""


def _url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _decimal(name: str, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{name} must be a decimal number, got {value!r}") from None


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


# (env var, attribute, parser, default or REQUIRED). One table, so the README's configuration
# section and start-up validation cannot disagree.
REQUIRED = object()
SETTINGS: list[tuple[str, str, Any, Any, str]] = [
    ("SECRET_KEY", "secret_key", str, REQUIRED, "Signs sessions and CSRF tokens; long and random."),
    ("DATABASE_URL", "database_url", str, f"sqlite:///{ROOT / 'instance' / 'portal.db'}",
     "SQLAlchemy URL; PostgreSQL in production."),
    ("PORTAL_BASE_URL", "base_url", _url, "http://127.0.0.1:8000",
     "Public URL of the portal (links, allowed origins, OAuth redirect)."),
    ("MOODLE_URL", "moodle_url", _url, REQUIRED, "Base URL of the Moodle/IOMAD site."),
    ("MOODLE_SERVICE_TOKEN", "moodle_service_token", str, REQUIRED,
     "Web-service token of the portal's service account."),
    ("MOODLE_OAUTH_CLIENT_ID", "oauth_client_id", str, "",
     "local_oauth2 client id (Moodle 4.5+); empty: sign-in only through the plugin's link."),
    ("MOODLE_OAUTH_CLIENT_SECRET", "oauth_client_secret", str, "", "local_oauth2 client secret."),
    ("STREAM_API_BASE", "stream_api_base", _url, "https://api.cloudflare.com/client/v4",
     "Cloudflare API base URL."),
    ("STREAM_ACCOUNT_ID", "stream_account_id", str, REQUIRED, "Cloudflare account id."),
    ("STREAM_API_TOKEN", "stream_api_token", str, REQUIRED,
     "API token with Stream Edit and Account Analytics Read (delivered minutes) rights."),
    ("STREAM_CUSTOMER_DOMAIN", "stream_customer_domain", _url, REQUIRED,
     "Player host, e.g. https://customer-<code>.cloudflarestream.com."),
    ("STREAM_SIGNING_KEY_ID", "stream_key_id", str, "", "Signing key id (flask stream create-key)."),
    ("STREAM_SIGNING_KEY_PEM", "stream_key_pem", str, "", "Signing key, PEM (flask stream create-key)."),
    ("STREAM_WEBHOOK_SECRET", "stream_webhook_secret", str, "",
     "Webhook secret returned by flask stream register-webhook."),
    ("STREAM_POLL_INTERVAL", "stream_poll_interval", _int, "60",
     "Seconds between two questions to Stream about one video on behalf of status polls (all users)."),
    ("STREAM_API_BUDGET_PER_MINUTE", "stream_api_budget", _int, "240",
     "Cloudflare API requests per minute the portal may use (Cloudflare allows 1,200 per 5 minutes)."),
    ("USAGE_COLLECT_EVERY", "usage_collect_every", _int, "600",
     "Seconds between the worker's usage collections (stored and delivered minutes)."),
    ("PLAYBACK_TOKEN_TTL", "playback_token_ttl", _int, "3600", "Seconds a playback token lives (max 86400)."),
    ("UPLOAD_CHUNK_BYTES", "upload_chunk_bytes", _int, str(50 * 1024 * 1024), "Largest tus chunk the browser sends; it sizes chunks from the measured speed (about 30 s each, at least 5 MiB)."),
    ("UPLOAD_MAX_BYTES", "upload_max_bytes", _int, str(5 * 1024**3), "Default size limit of an assignment."),
    ("UPLOAD_MAX_MINUTES", "upload_max_minutes", _int, "60", "Default duration limit of an assignment."),
    ("RETENTION_DAYS", "retention_days", _int, "90", "Days a video is kept after upload by default."),
    ("PRICE_STORED_PER_1000_MIN", "price_stored", _decimal, "5.00", "USD per 1,000 minutes stored per month."),
    ("PRICE_DELIVERED_PER_1000_MIN", "price_delivered", _decimal, "1.00", "USD per 1,000 minutes delivered."),
    ("EMBED_SHARED_SECRET", "embed_secret", str, "",
     "Secret shared with the Moodle plugin: its player embed and its sign-in link."),
    ("SMTP_URL", "smtp_url", str, "", "smtp://host:port for alert e-mail; empty: no e-mail."),
    ("ALERT_EMAIL", "alert_email", str, "", "Where operational alerts go."),
    ("OUTBOX_MAX_ATTEMPTS", "outbox_max_attempts", _int, "8", "Tries after which a Moodle write still waiting (Moodle away) raises an admin alert; it keeps being retried."),
    ("LOG_LEVEL", "log_level", str, "INFO", "Python logging level."),
    ("TRUST_PROXY", "trust_proxy", _bool, "false", "Behind one reverse proxy: honour X-Forwarded-*."),
    ("SESSION_IDLE_MINUTES", "session_idle_minutes", _int, "120",
     "A session ends this long after its last request (sessions are kept in the database)."),
    ("SESSION_MAX_HOURS", "session_max_hours", _int, "8",
     "A session ends this long after sign-in, however active: sign in again."),
    ("RATELIMIT_STORAGE_URL", "ratelimit_storage_url", str, "memory://",
     "Where rate-limit counters live: redis://host:6379 in production with several workers "
     "(memory:// counts per process)."),
    ("RATELIMIT_ENABLED", "ratelimit_enabled", _bool, "true", "Rate limits on sign-in, uploads, polls and exports."),
]


@dataclass(frozen=True)
class Settings:
    secret_key: str
    database_url: str
    base_url: str
    moodle_url: str
    moodle_service_token: str
    oauth_client_id: str
    oauth_client_secret: str
    stream_api_base: str
    stream_account_id: str
    stream_api_token: str
    stream_customer_domain: str
    stream_key_id: str
    stream_key_pem: str
    stream_webhook_secret: str
    stream_poll_interval: int
    stream_api_budget: int
    usage_collect_every: int
    playback_token_ttl: int
    upload_chunk_bytes: int
    upload_max_bytes: int
    upload_max_minutes: int
    retention_days: int
    price_stored: Decimal
    price_delivered: Decimal
    embed_secret: str
    smtp_url: str
    alert_email: str
    outbox_max_attempts: int
    log_level: str
    trust_proxy: bool
    session_idle_minutes: int
    session_max_hours: int
    ratelimit_storage_url: str
    ratelimit_enabled: bool
    testing: bool = field(default=False)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        missing = []
        for var, attr, parse, default, _ in SETTINGS:
            if attr in overrides:
                values[attr] = overrides.pop(attr)
                continue
            raw = env.get(var)
            if raw is None or raw == "":
                if default is REQUIRED:
                    missing.append(var)
                    continue
                raw = default
            values[attr] = parse(var, raw) if parse is not str else raw
        if missing:
            raise ConfigError("missing required setting(s): " + ", ".join(missing)
                              + " (see README.md, Configuration)")
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**values, **overrides)
        settings.check()
        return settings

    def check(self) -> None:
        if not self.testing and len(self.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters")
        if not 60 <= self.playback_token_ttl <= 86400:
            raise ConfigError("PLAYBACK_TOKEN_TTL must be between 60 and 86400 seconds")
        # tus chunks must fit Stream's rules: a multiple of 256 KiB, 5 MiB to 200 MiB.
        if self.upload_chunk_bytes % 262144 or not 5242880 <= self.upload_chunk_bytes <= 209715200:
            raise ConfigError("UPLOAD_CHUNK_BYTES must be a multiple of 262144 between 5 MiB and 200 MiB")
        if self.retention_days < 1:
            raise ConfigError("RETENTION_DAYS must be at least 1")
        if self.stream_poll_interval < 1 or self.usage_collect_every < 1:
            raise ConfigError("STREAM_POLL_INTERVAL and USAGE_COLLECT_EVERY must be at least 1 second")
        if not 1 <= self.stream_api_budget <= 240:
            raise ConfigError("STREAM_API_BUDGET_PER_MINUTE must be between 1 and 240 "
                              "(Cloudflare allows 1,200 requests per 5 minutes)")
        if bool(self.stream_key_id) != bool(self.stream_key_pem):
            raise ConfigError("STREAM_SIGNING_KEY_ID and STREAM_SIGNING_KEY_PEM go together")
        if self.stream_key_pem and "PRIVATE KEY" not in self.stream_key_pem:
            raise ConfigError("STREAM_SIGNING_KEY_PEM is not a PEM private key")
        if bool(self.oauth_client_id) != bool(self.oauth_client_secret):
            raise ConfigError("MOODLE_OAUTH_CLIENT_ID and MOODLE_OAUTH_CLIENT_SECRET go together")
        if not self.oauth_client_id and not self.embed_secret:
            raise ConfigError("no way to sign in: set MOODLE_OAUTH_CLIENT_ID/_SECRET (Moodle 4.5+ with "
                              "local_oauth2) or EMBED_SHARED_SECRET (the plugin's sign-in link, Moodle 4.1+)")
        if not 1 <= self.session_idle_minutes <= 7 * 24 * 60:
            raise ConfigError("SESSION_IDLE_MINUTES must be between 1 and 10080")
        if not 1 <= self.session_max_hours <= 24 * 30:
            raise ConfigError("SESSION_MAX_HOURS must be between 1 and 720")
        if not self.ratelimit_storage_url.startswith(("memory://", "redis://", "rediss://", "redis+sentinel://",
                                                      "memcached://")):
            raise ConfigError("RATELIMIT_STORAGE_URL must be memory://, redis://… or memcached://…")
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ConfigError("DATABASE_URL must be a sqlite:// or postgresql:// URL")

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.oauth_client_id)

    def __repr__(self) -> str:  # never print secrets, even in a traceback
        return f"Settings(base_url={self.base_url!r}, database={self.database_url.split(':')[0]})"
