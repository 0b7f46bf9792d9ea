"""Building portal apps for tests."""
from __future__ import annotations

from typing import Any

from portal import create_app
from portal.config import Settings

# Nothing listens on port 9 (discard): a test that forgets its emulator fails fast and clearly.
UNREACHABLE = "http://127.0.0.1:9"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        testing=True, secret_key="test-secret-key", database_url=database_url,
        base_url="http://127.0.0.1:5999", moodle_url=UNREACHABLE, moodle_service_token="t" * 32,
        oauth_client_id="stream-portal", oauth_client_secret="s" * 48,
        stream_api_base=UNREACHABLE + "/client/v4", stream_account_id="a" * 32,
        stream_api_token="x" * 40, stream_customer_domain=UNREACHABLE,
    )
    values.update(overrides)
    return Settings.from_env({}, **values)


def make_app(database_url: str, **overrides: Any):
    return create_app(make_settings(database_url, **overrides))
