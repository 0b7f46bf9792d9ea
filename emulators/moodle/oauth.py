"""The local_oauth2 OpenID provider (oauth2-provider.json): discovery, authorize with Moodle's
login page and a consent page, token (codes live 30 s, single use, PKCE), userinfo, JWKS."""
from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Blueprint, current_app, jsonify, redirect, request, session
from jwt.algorithms import RSAAlgorithm

from .site import Site

bp = Blueprint("oauth", __name__, url_prefix="/local/oauth2")
CODE_LIFETIME = 30
TOKEN_LIFETIME = 3600

CONSENT = """{% extends "moodle_base" %}{% block body %}
<h2>Authorise application</h2>
<p>Do you want to authorize application <strong>{{ client_id }}</strong> to access your Moodle account?</p>
<p>Scopes: {{ scope }}</p>
<form method="post"><input type="hidden" name="sesskey" value="{{ sesskey }}">
<button name="authorized" value="yes" class="btn-primary">Allow</button>
<button name="authorized" value="no">Cancel</button></form>{% endblock %}"""


def site() -> Site:
    return current_app.extensions["moodle_site"]


class Keys:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        thumb = hashlib.sha256(f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'.encode()).digest()
        self.kid = base64.urlsafe_b64encode(thumb).rstrip(b"=").decode()
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": jwk["n"], "e": jwk["e"], "kid": self.kid}


def err(status: int, error: str, description: str, **extra):
    resp = jsonify(error=error, error_description=description, **extra)
    resp.status_code = status
    return resp


def issuer() -> str:
    return current_app.config["MOODLE"]["siteurl"]


@bp.get("/openid_configuration.php")
def discovery():
    base = issuer()
    return jsonify(issuer=base, authorization_endpoint=f"{base}/local/oauth2/login.php",
                   token_endpoint=f"{base}/local/oauth2/token.php", userinfo_endpoint=f"{base}/local/oauth2/userinfo.php",
                   jwks_uri=f"{base}/local/oauth2/jwks.php", response_types_supported=["code"],
                   grant_types_supported=["authorization_code", "refresh_token", "password"],
                   subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
                   scopes_supported=["openid", "profile", "email", "offline_access", "address", "phone"],
                   token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                   code_challenge_methods_supported=["plain", "S256"],
                   claims_supported=["sub", "name", "given_name", "family_name", "preferred_username", "email"])


@bp.get("/jwks.php")
def jwks():
    return jsonify(keys=[current_app.extensions["moodle_oauth_keys"].jwk])


def redirect_error(uri: str, error: str, description: str, state: str | None):
    query = {"error": error, "error_description": description, **({"state": state} if state else {})}
    return redirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode(query)}")


@bp.route("/login.php", methods=["GET", "POST"])
def authorize():
    a = request.args
    client_id = a.get("client_id")
    if not client_id:
        return err(400, "invalid_client", "No client id supplied")
    client = site().oauth_clients.get(client_id)
    if client is None:
        return err(400, "invalid_client", "The client id supplied is invalid")
    uri = a.get("redirect_uri") or (client["redirect_uris"][0] if len(client["redirect_uris"]) == 1 else None)
    if uri is None or uri not in client["redirect_uris"]:
        return err(400, "redirect_uri_mismatch", "The redirect URI provided is missing or does not match",
                   error_uri="http://tools.ietf.org/html/rfc6749#section-3.1.2")
    state, scope = a.get("state"), a.get("scope") or "openid"
    if a.get("response_type") != "code":
        return redirect_error(uri, "invalid_request", "Invalid or missing response type", state)
    if "openid" in scope.split() and not state:
        return redirect_error(uri, "invalid_request", "The state parameter is required for OpenID Connect requests", None)
    known = {"openid", "profile", "email", "offline_access", "address", "phone"}
    if not set(scope.split()) <= known:
        return redirect_error(uri, "invalid_scope", "An unsupported scope was requested", state)
    challenge, method = a.get("code_challenge"), a.get("code_challenge_method")
    if client.get("require_pkce") and not challenge:
        return err(400, "invalid_request", "Missing code_challenge parameter. PKCE is required for this client.")
    if challenge and not (43 <= len(challenge) <= 128):
        return err(400, "invalid_code_challenge", "The PKCE code challenge supplied is invalid")
    userid = session.get("moodle_user")
    if userid is None:
        session["wantsurl"] = request.full_path
        return redirect(f"{issuer()}/login/index.php")
    first_time = (userid, client_id, scope) not in site().consents
    nonce = a.get("nonce") if not first_time and not session.pop("just_logged_in", False) else None
    if request.method == "GET" and first_time:
        session["sesskey"] = secrets.token_hex(5)
        from .ui import page    # the site's own page frame: the header names who is signed in
        return page(CONSENT, client_id=client_id, scope=scope, sesskey=session["sesskey"])
    if request.method == "POST":
        if request.form.get("sesskey") != session.get("sesskey"):
            return err(400, "invalid_request", "Invalid sesskey")
        if request.form.get("authorized") != "yes":
            return redirect_error(uri, "access_denied", "The user denied access to your application", state)
        site().consents.add((userid, client_id, scope))
        nonce = None          # the consent form rebuilds the URL without the nonce (contract)
    code = secrets.token_hex(20)
    site().codes[code] = {"client_id": client_id, "userid": userid, "redirect_uri": a.get("redirect_uri"),
                          "scope": scope, "expires": time.time() + CODE_LIFETIME, "challenge": challenge,
                          "method": method, "nonce": nonce, "iat": int(time.time())}
    return redirect(f"{uri}{'&' if '?' in uri else '?'}{urlencode({'code': code, 'state': state} if state else {'code': code})}")


def client_auth():
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username, request.authorization.password
    return request.form.get("client_id"), request.form.get("client_secret")


def claims_for(user, scope: str) -> dict:
    claims: dict = {}
    if "profile" in scope.split():
        claims.update(name=user.fullname, family_name=user.lastname, given_name=user.firstname, middle_name="",
                      nickname="", preferred_username=user.username,
                      profile=f"{issuer()}/user/profile.php?id={user.id}",
                      picture=f"{issuer()}/theme/image.php/boost/core/1/u/f1", website=None, gender=None,
                      birthdate=None, zoneinfo="99", locale=user.lang, updated_at=user.timemodified)
    if "email" in scope.split():
        claims.update(email=user.email, email_verified=True)
    claims["sub"] = str(user.id)
    return claims


@bp.route("/token.php", methods=["GET", "POST"])
@bp.route("/refresh_token.php", methods=["GET", "POST"])
def token():
    if request.method != "POST":
        resp = err(405, "invalid_request", "The request method must be POST when requesting an access token",
                   error_uri="http://tools.ietf.org/html/rfc6749#section-3.2")
        resp.headers["Allow"] = "POST, OPTIONS"
        return resp
    grant = request.form.get("grant_type")
    if not grant:
        return err(400, "invalid_request", "The grant type was not specified in the request")
    if grant != "authorization_code":
        return err(400, "unsupported_grant_type", f'Grant type "{grant}" not supported')
    client_id, secret = client_auth()
    if not client_id:
        return err(400, "invalid_client", "Client credentials were not found in the headers or body")
    client = site().oauth_clients.get(client_id)
    if client is None or not secrets.compare_digest(client["secret"], secret or ""):
        return err(400, "invalid_client", "The client credentials are invalid")
    code = request.form.get("code")
    if not code:
        return err(400, "invalid_request", 'Missing parameter: "code" is required')
    grant_data = site().codes.get(code)
    if grant_data is None or grant_data["client_id"] != client_id:
        return err(400, "invalid_grant", "Authorization code doesn't exist or is invalid for the client")
    if time.time() > grant_data["expires"]:
        del site().codes[code]
        return err(400, "invalid_grant", "The authorization code has expired")
    if grant_data["redirect_uri"] and request.form.get("redirect_uri") != grant_data["redirect_uri"]:
        return err(400, "redirect_uri_mismatch", "The redirect URI is missing or do not match",
                   error_uri="http://tools.ietf.org/html/rfc6749#section-4.1.3")
    if grant_data["challenge"]:
        verifier = request.form.get("code_verifier")
        if not verifier:
            return err(400, "code_verifier_missing", "The PKCE code verifier parameter is required.")
        if not 43 <= len(verifier) <= 128:
            return err(400, "code_verifier_invalid", "The PKCE code verifier parameter is invalid.")
        method = grant_data["method"] or "plain"
        if method not in ("plain", "S256"):
            return err(400, "code_challenge_method_invalid", "Unknown PKCE code challenge method.")
        computed = verifier if method == "plain" else \
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if computed != grant_data["challenge"]:
            return err(400, "code_verifier_mismatch", "The PKCE code verifier parameter does not match the code challenge.")
    del site().codes[code]                     # single use
    user = site().users[grant_data["userid"]]
    access = secrets.token_hex(20)
    site().access_tokens[access] = {"userid": user.id, "scope": grant_data["scope"], "expires": time.time() + TOKEN_LIFETIME}
    body = {"access_token": access, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer", "scope": grant_data["scope"]}
    if "openid" in grant_data["scope"].split():
        keys = current_app.extensions["moodle_oauth_keys"]
        claims = {"iss": issuer(), "sub": str(user.id), "aud": client_id, "iat": grant_data["iat"],
                  "exp": grant_data["iat"] + TOKEN_LIFETIME, "auth_time": grant_data["iat"],
                  **{k: v for k, v in claims_for(user, grant_data["scope"]).items() if k != "sub"}}
        if grant_data["nonce"]:
            claims["nonce"] = grant_data["nonce"]
        body["id_token"] = jwt.encode(claims, keys.private, algorithm="RS256", headers={"kid": keys.kid})
    resp = jsonify(body)
    resp.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return resp


@bp.route("/userinfo.php", methods=["GET", "POST"])
def userinfo():
    auth = request.headers.get("Authorization")
    in_query = request.values.get("access_token")
    if auth and in_query:
        return err(400, "invalid_request", "Only one method may be used to authenticate at a time (Auth header, GET or POST)")
    if not auth and not in_query:
        resp = current_app.response_class("", status=401)
        resp.headers["WWW-Authenticate"] = 'Bearer realm="Service"'
        return resp
    if auth and not auth.startswith("Bearer "):
        return err(400, "invalid_request", "Malformed auth header")
    token = in_query or auth[7:]
    data = site().access_tokens.get(token)
    if data is None:
        return err(401, "invalid_token", "The access token provided is invalid")
    if time.time() > data["expires"]:
        return err(401, "invalid_token", "The access token provided has expired")
    if "openid" not in data["scope"].split():
        return err(403, "insufficient_scope", "The request requires higher privileges than provided by the access token")
    return jsonify(claims_for(site().users[data["userid"]], data["scope"]))
