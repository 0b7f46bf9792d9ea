"""Signing keys and the checks the player makes on a playback token (RS256, kid, exp, nbf,
accessRules), as Stream does before it serves a single byte."""
from __future__ import annotations

import base64
import ipaddress
import json
import uuid
from datetime import datetime, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .store import Store, now_iso


class TokenRefused(Exception):
    """Why a token does not open the video (shown on the player's error page)."""


def create_key(store: Store, *, internal: bool = False) -> dict[str, Any]:
    """A new RSA key: the private half is returned once (as Stream does) and only the public half kept."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = uuid.uuid4().hex
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    jwk = json.loads(RSAAlgorithm.to_jwk(private))
    jwk.update(use="sig", kid=key_id, alg="RS256")
    created = now_iso()
    keys = store.doc("keys", {})
    keys[key_id] = {"id": key_id, "public": public, "created": created, "internal": internal,
                    **({"private": pem.decode()} if internal else {})}
    store.save_doc("keys", keys)
    return {"id": key_id, "pem": base64.b64encode(pem).decode(),
            "jwk": base64.b64encode(json.dumps(jwk).encode()).decode(), "created": created}


def list_keys(store: Store) -> list[dict[str, str]]:
    return [{"id": k["id"], "created": k["created"]} for k in store.doc("keys", {}).values()
            if not k.get("internal")]


def delete_key(store: Store, key_id: str) -> bool:
    keys = store.doc("keys", {})
    if key_id not in keys or keys[key_id].get("internal"):
        return False
    del keys[key_id]
    store.save_doc("keys", keys)
    return True


def internal_token(store: Store, uid: str, claims: dict[str, Any]) -> str:
    """What POST /stream/<uid>/token answers: a token signed with a key Stream keeps itself."""
    keys = store.doc("keys", {})
    key = next((k for k in keys.values() if k.get("internal")), None)
    if key is None:
        create_key(store, internal=True)
        key = next(k for k in store.doc("keys", {}).values() if k.get("internal"))
    exp = claims.get("exp") or int(datetime.now(timezone.utc).timestamp()) + 3600
    body = {"sub": uid, "kid": key["id"], "exp": exp, **{k: v for k, v in claims.items() if k != "exp"}}
    return jwt.encode(body, key["private"], algorithm="RS256", headers={"kid": key["id"]})


def _rule_matches(rule: dict[str, Any], ip: str, country: str) -> bool:
    kind = rule.get("type")
    if kind == "any":
        return True
    if kind == "ip.src":
        addr = ipaddress.ip_address(ip)
        return any(addr in ipaddress.ip_network(n, strict=False) for n in rule.get("ip", []))
    if kind == "ip.geoip.country":
        return country in rule.get("country", [])
    return False


def check(store: Store, token: str, video: dict[str, Any] | None, *, ip: str, country: str = "XX") -> str:
    """The video uid the token opens, or TokenRefused. A video without requireSignedURLs also
    opens with its plain uid."""
    if video is not None and token == video["uid"]:
        if video.get("requireSignedURLs"):
            raise TokenRefused("This video requires a signed URL.")
        return token
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRefused("The token is not a valid signed URL.") from None
    key = store.doc("keys", {}).get(header.get("kid", ""))
    if key is None:
        raise TokenRefused("The token was signed with an unknown key.")
    try:
        claims = jwt.decode(token, key["public"], algorithms=["RS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise TokenRefused("The signed URL has expired.") from None
    except jwt.ImmatureSignatureError:
        raise TokenRefused("The signed URL is not valid yet.") from None
    except jwt.PyJWTError:
        raise TokenRefused("The signature of the URL does not hold.") from None
    for rule in claims.get("accessRules") or []:
        if _rule_matches(rule, ip, country):
            if rule.get("action") == "block":
                raise TokenRefused("Access to this video is blocked from here.")
            break
    return claims["sub"]
