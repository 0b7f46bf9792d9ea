import pytest

from portal.config import ConfigError, Settings

BASE = {
    "SECRET_KEY": "k" * 40, "MOODLE_URL": "https://moodle.example.org", "MOODLE_SERVICE_TOKEN": "t",
    "MOODLE_OAUTH_CLIENT_ID": "portal", "MOODLE_OAUTH_CLIENT_SECRET": "s", "STREAM_ACCOUNT_ID": "acc",
    "STREAM_API_TOKEN": "tok", "STREAM_CUSTOMER_DOMAIN": "https://customer-x.cloudflarestream.com",
}


def test_valid_environment_gives_typed_settings():
    s = Settings.from_env({**BASE, "RETENTION_DAYS": "30", "PRICE_STORED_PER_1000_MIN": "5.50"})
    assert s.retention_days == 30 and str(s.price_stored) == "5.50"
    assert s.stream_api_base == "https://api.cloudflare.com/client/v4"
    assert s.upload_chunk_bytes == 50 * 1024 * 1024
    assert not s.secure_cookies
    assert Settings.from_env({**BASE, "PORTAL_BASE_URL": "https://portal.example.org/"}).secure_cookies


def test_missing_settings_are_named():
    env = dict(BASE)
    del env["SECRET_KEY"], env["STREAM_API_TOKEN"]
    with pytest.raises(ConfigError, match="SECRET_KEY, STREAM_API_TOKEN"):
        Settings.from_env(env)


@pytest.mark.parametrize("var,value,message", [
    ("RETENTION_DAYS", "ninety", "RETENTION_DAYS must be a whole number"),
    ("MOODLE_URL", "moodle.example.org", "MOODLE_URL must be an http"),
    ("PRICE_DELIVERED_PER_1000_MIN", "1,00", "PRICE_DELIVERED_PER_1000_MIN must be a decimal"),
    ("UPLOAD_CHUNK_BYTES", "1000000", "UPLOAD_CHUNK_BYTES must be a multiple of 262144"),
    ("PLAYBACK_TOKEN_TTL", "172800", "PLAYBACK_TOKEN_TTL must be between"),
    ("SECRET_KEY", "short", "SECRET_KEY must be at least 32"),
    ("TRUST_PROXY", "maybe", "TRUST_PROXY must be true or false"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL must be"),
    ("STREAM_SIGNING_KEY_ID", "abc", "go together"),
])
def test_malformed_settings_stop_start_up(var, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**BASE, var: value})


def test_repr_hides_secrets():
    s = Settings.from_env(BASE)
    assert "k" * 40 not in repr(s) and "tok" not in repr(s)


def test_readme_documents_every_setting():
    from portal.config import ROOT, SETTINGS

    readme = (ROOT / "README.md").read_text()
    assert [var for var, *_ in SETTINGS if f"`{var}`" not in readme] == []


def test_a_moodle_before_4_5_signs_in_through_the_plugins_link_only():
    """local_oauth2 needs Moodle 4.5: without an OAuth client the shared secret is the way in."""
    env = {k: v for k, v in BASE.items() if not k.startswith("MOODLE_OAUTH")}
    with pytest.raises(ConfigError, match="no way to sign in"):
        Settings.from_env(env)
    s = Settings.from_env({**env, "EMBED_SHARED_SECRET": "e" * 64})
    assert not s.oauth_enabled
    with pytest.raises(ConfigError, match="go together"):
        Settings.from_env({**env, "MOODLE_OAUTH_CLIENT_ID": "portal"})


def test_without_oauth_the_signin_page_points_to_moodle(database_url, app):   # `app` migrated the database (sessions live there)
    from tests.support.portal import make_app

    app = make_app(database_url, oauth_client_id="", oauth_client_secret="", embed_secret="e" * 64)
    client = app.test_client()
    page = client.get("/signin").text
    assert "Open in Stream Portal" in page and "Sign in with Moodle" not in page
    assert client.get("/auth/login").status_code == 404
