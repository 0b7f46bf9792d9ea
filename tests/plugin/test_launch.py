"""The plugin's sign-in link ("Open in Stream Portal") is signed the way the portal verifies it."""
from __future__ import annotations

import hashlib
import hmac
import re
import subprocess
from pathlib import Path

import pytest

from portal.services import launch

PLUGIN = Path(__file__).resolve().parents[2] / "moodle" / "assignsubmission_streamportal"
STUBS = Path(__file__).parent / "stubs"


def php_signature(secret, userid, cmid, expires, nonce) -> str:
    return subprocess.run(["php", str(STUBS / "sign_launch.php"), str(PLUGIN), secret, str(userid), str(cmid),
                           str(expires), nonce], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("secret,userid,cmid,expires,nonce", [
    ("s3cret", 13, 101, 1732399300, "0123456789abcdef0123456789abcdef"),
    ("ünï-cødé secret with spaces", 2, 0, 2000000000, "f" * 32),
])
def test_launch_signature_is_the_documented_one_and_the_portal_accepts_it(secret, userid, cmid, expires, nonce):
    documented = hmac.new(secret.encode(), f"launch|{userid}|{cmid}|{expires}|{nonce}".encode(),
                          hashlib.sha256).hexdigest()
    signed = php_signature(secret, userid, cmid, expires, nonce)
    assert signed == documented == launch.signature(secret, userid, cmid, expires, nonce)
    assert php_signature(secret, userid + 1, cmid, expires, nonce) != signed


def test_the_plugin_signs_for_less_than_the_portal_accepts_with_a_fresh_nonce():
    source = (PLUGIN / "classes" / "embed.php").read_text()
    lifetime = int(re.search(r"const LAUNCH_LIFETIME = (\d+);", source).group(1))
    assert 0 < lifetime < launch.MAX_LIFETIME
    assert "random_bytes(16)" in source and "'/auth/moodle'" in source


def test_readme_documents_the_sign_in_link():
    readme = (PLUGIN / "README.md").read_text()
    assert '"launch|<userid>|<cmid>|<expires>|<nonce>"' in readme
    for name in ("user", "cmid", "expires", "nonce", "sig"):
        assert f"{name}=" in readme


def php_launch_url(portal, secret, userid, cmid, now) -> str:
    return subprocess.run(["php", str(STUBS / "launch_url.php"), str(PLUGIN), portal, secret, str(userid), str(cmid),
                           str(now)], capture_output=True, text=True, check=True).stdout


def test_the_url_the_plugin_builds_is_one_the_portal_verifies():
    import time
    from urllib.parse import parse_qsl, urlsplit

    now = int(time.time())
    url = php_launch_url("https://portal.example.org/", "s3cret", 13, 101, now)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://portal.example.org/auth/moodle"
    args = dict(parse_qsl(parts.query))
    assert set(args) == {"user", "cmid", "expires", "nonce", "sig"} and int(args["expires"]) == now + 600
    assert args["nonce"] != dict(parse_qsl(urlsplit(php_launch_url("https://portal.example.org", "s3cret", 13, 101,
                                                                   now)).query))["nonce"]     # fresh every time
    assert args["sig"] == launch.signature("s3cret", 13, 101, now + 600, args["nonce"])
    assert php_launch_url("https://portal.example.org", "", 13, 101, now) == ""            # not configured
