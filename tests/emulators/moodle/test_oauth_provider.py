"""The local_oauth2 provider's errors and statuses (oauth2-provider.json)."""
import base64
import hashlib
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from emulators.moodle import create_app

REDIRECT = "https://portal.example.org/auth/callback"


@pytest.fixture
def app():
    return create_app("demo", siteurl="http://moodle.test", oauth_secret="s" * 48, redirect_uris=[REDIRECT])


def authorize(client, verifier="v" * 43, username="student1", **extra):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = dict(client_id="stream-portal", response_type="code", redirect_uri=REDIRECT, scope="openid profile email",
                  state="st", code_challenge=challenge, code_challenge_method="S256", **extra)
    client.post("/login/index.php", data={"username": username, "password": "demo"})
    page = client.get("/local/oauth2/login.php", query_string=params)
    if page.status_code == 302:                  # consent given before: straight back with a code
        return parse_qs(urlparse(page.headers["Location"]).query)["code"][0]
    sesskey = re.search(r'name="sesskey" value="([^"]+)"', page.text).group(1)
    r = client.post("/local/oauth2/login.php", query_string=params, data={"sesskey": sesskey, "authorized": "yes"})
    return parse_qs(urlparse(r.headers["Location"]).query)["code"][0]


def exchange(client, code, verifier="v" * 43, **over):
    data = dict(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier,
                client_id="stream-portal", client_secret="s" * 48)
    data.update(over)
    return client.post("/local/oauth2/token.php", data=data)


def test_code_flow_with_pkce_gives_an_id_token_and_userinfo(app):
    client = app.test_client()
    token = exchange(client, authorize(client)).get_json()
    assert token["token_type"] == "Bearer" and token["id_token"] and "refresh_token" not in token
    info = client.get("/local/oauth2/userinfo.php", headers={"Authorization": f"Bearer {token['access_token']}"}).get_json()
    assert info["preferred_username"] == "student1" and info["sub"] == "13"


@pytest.mark.parametrize("over,error", [
    (dict(code_verifier="w" * 43), "code_verifier_mismatch"),
    (dict(code_verifier=None), "code_verifier_missing"),
    (dict(client_secret="wrong"), "invalid_client"),
    (dict(redirect_uri="https://elsewhere/cb"), "redirect_uri_mismatch"),
])
def test_token_errors(app, over, error):
    client = app.test_client()
    r = exchange(client, authorize(client), **{k: v for k, v in over.items() if v is not None}) if None not in over.values() \
        else client.post("/local/oauth2/token.php", data=dict(grant_type="authorization_code", code=authorize(client),
                                                               redirect_uri=REDIRECT, client_id="stream-portal",
                                                               client_secret="s" * 48))
    assert r.status_code == 400 and r.get_json()["error"] == error


def test_codes_are_single_use_and_expire(app, monkeypatch):
    client = app.test_client()
    code = authorize(client)
    assert exchange(client, code).status_code == 200
    assert exchange(client, code).get_json()["error"] == "invalid_grant"
    code = authorize(client)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31)
    assert exchange(client, code).get_json()["error_description"] == "The authorization code has expired"


def test_authorize_errors_and_token_get(app):
    client = app.test_client()
    assert client.get("/local/oauth2/login.php").get_json()["error"] == "invalid_client"
    r = client.get("/local/oauth2/login.php", query_string=dict(client_id="stream-portal", redirect_uri="https://x/cb"))
    assert r.status_code == 400 and r.get_json()["error"] == "redirect_uri_mismatch"
    r = client.get("/local/oauth2/token.php")
    assert r.status_code == 405 and r.headers["Allow"] == "POST, OPTIONS"
    assert client.get("/local/oauth2/userinfo.php").status_code == 401


def test_the_consent_page_names_who_is_signed_in(app):
    client = app.test_client()
    client.post("/login/index.php", data={"username": "student1", "password": "demo"})
    page = client.get("/local/oauth2/login.php", query_string=dict(
        client_id="stream-portal", response_type="code", redirect_uri=REDIRECT, scope="openid profile email",
        state="st", code_challenge="c" * 43, code_challenge_method="S256"))
    assert "Authorise application" in page.text
    assert "Log out" in page.text and ">Log in<" not in page.text
