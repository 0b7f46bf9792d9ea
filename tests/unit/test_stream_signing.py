"""Playback tokens and webhook signatures: checked locally, no Stream call."""
import hashlib
import hmac

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.services.stream import (WebhookSignatureError, iframe_url, sign_playback_token,
                                    verify_webhook)


@pytest.fixture(scope="module")
def key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, private.public_key()


def test_token_carries_uid_kid_and_expiry(key):
    pem, public = key
    token = sign_playback_token("abc123", "kid-1", pem, ttl_seconds=600, now=1_700_000_000)
    assert jwt.get_unverified_header(token)["kid"] == "kid-1"
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False})
    assert claims["sub"] == "abc123" and claims["exp"] == 1_700_000_600 and claims["kid"] == "kid-1"


def test_token_lifetime_is_capped_at_a_day(key):
    with pytest.raises(ValueError):
        sign_playback_token("abc", "k", key[0], ttl_seconds=86401)


def test_iframe_url_with_start_time():
    assert iframe_url("https://customer-x.cloudflarestream.com/", "tok") == \
        "https://customer-x.cloudflarestream.com/tok/iframe"
    assert iframe_url("http://h", "tok", start_time=75.4).endswith("/tok/iframe?startTime=75s")


def sign(body: bytes, secret: str, stamp: int) -> str:
    return f"time={stamp},sig1=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body,
                                            hashlib.sha256).hexdigest()


def test_webhook_signature_accepted_when_fresh_and_exact():
    body = b'{"uid":"x"}'
    verify_webhook(body, sign(body, "s3cret", 1000), "s3cret", now=1100)


@pytest.mark.parametrize("header,now,why", [
    (None, 1000 + 301, "stale"),
    ("time=1000,sig1=deadbeef", 1000, "does not match"),
    ("sig1=abc", 1000, "malformed"),
    ("", 1000, "malformed"),
])
def test_webhook_signature_refused(header, now, why):
    body = b'{"uid":"x"}'
    with pytest.raises(WebhookSignatureError, match=why):
        verify_webhook(body, header if header is not None else sign(body, "s3cret", 1000), "s3cret", now=now)


def test_webhook_body_tampering_is_refused():
    header = sign(b'{"uid":"x"}', "s3cret", 1000)
    with pytest.raises(WebhookSignatureError):
        verify_webhook(b'{"uid":"y"}', header, "s3cret", now=1000)
