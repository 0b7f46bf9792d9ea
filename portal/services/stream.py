"""Cloudflare Stream client: API calls, local playback-token signing, webhook verification.

The same code talks to https://api.cloudflare.com/client/v4 in production and to the emulator in
development and tests: only the base URL, account id and token differ.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

import jwt
import requests

log = logging.getLogger(__name__)

MAX_TOKEN_TTL = 24 * 3600
# openapi-stream.json, stream_maxDurationSeconds: "maximum": 21600.
MAX_DURATION_SECONDS = 21600
# openapi-stream.json, stream_scheduledDeletion: "must be at least 30 days from upload time".
MIN_SCHEDULED_DELETION = timedelta(days=30)
# analytics-captions-downloads.md §2.5: at most 31 days per query, 90 days kept.
ANALYTICS_MAX_SPAN = timedelta(days=31)
ANALYTICS_RETENTION = timedelta(days=90)
ANALYTICS_PAGE = 1000
# §3.2 of the same contract, the query for minutes per video per day, as one line (§1).
MINUTES_QUERY = (
    "query StreamDaily($accountTag: string!, $start: Date, $end: Date, $after: string) { viewer { "
    "accounts(filter: { accountTag: $accountTag }) { streamMinutesViewedAdaptiveGroups(filter: { "
    "date_geq: $start, date_lt: $end, uid_gt: $after } orderBy: [uid_ASC] limit: %d) { "
    "sum { minutesViewed } dimensions { uid date } } } } }" % ANALYTICS_PAGE)


class StreamError(Exception):
    """Anything that went wrong talking to Stream; `codes` are Cloudflare's error codes."""

    def __init__(self, message: str, *, status: int | None = None, codes: Iterable[int] = ()):
        super().__init__(message)
        self.message, self.status, self.codes = message, status, list(codes)


class StreamUnavailable(StreamError):
    """Network error, timeout or server error (after retries): try again later."""


class StreamAuthError(StreamError):
    """The API token is wrong or lacks rights."""


class StreamNotFound(StreamError):
    """No such video (or route)."""


class StreamValidationError(StreamError):
    """Stream refused the request's content."""


class StreamRateLimited(StreamError):
    """Too many requests, even after waiting."""


class WebhookSignatureError(Exception):
    """A webhook whose signature or time does not hold."""


@dataclass(frozen=True)
class TusUpload:
    uid: str
    upload_url: str


@dataclass(frozen=True)
class SigningKey:
    id: str
    pem: str
    jwk: str

    def __repr__(self) -> str:  # the private key never reaches a log
        return f"SigningKey(id={self.id!r})"


def _error_for(status: int) -> type[StreamError]:
    if status in (401, 403):
        return StreamAuthError
    if status == 404:
        return StreamNotFound
    if status == 429:
        return StreamRateLimited
    if status >= 500:
        return StreamUnavailable
    return StreamValidationError


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _metadata(pairs: dict[str, str | None]) -> str:
    """tus Upload-Metadata: "key base64(value)" pairs; a key alone is a flag."""
    out = []
    for key, value in pairs.items():
        if value is None:
            continue
        out.append(key if value == "" else f"{key} {base64.b64encode(value.encode()).decode()}")
    return ",".join(out)


class StreamClient:
    IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}

    def __init__(self, api_base: str, account_id: str, api_token: str, *,
                 http: requests.Session | None = None, timeout: tuple[float, float] = (3.05, 30),
                 retries: int = 2, on_call: Callable[[], None] | None = None):
        self._api = api_base.rstrip("/")
        self._base = f"{self._api}/accounts/{account_id}/stream"
        self._account = account_id
        self._token, self._timeout, self._retries = api_token, timeout, retries
        self._http = http or requests.Session()
        self._on_call = on_call          # told of every HTTP request (Cloudflare's rate limit counts each)

    def __repr__(self) -> str:
        return f"StreamClient({self._base!r})"

    # --- transport ----------------------------------------------------------------------------
    def _request(self, method: str, path: str = "", *, url: str | None = None, idempotent: bool | None = None,
                 **kw) -> requests.Response:
        url = url or self._base + path
        headers = {"Authorization": f"Bearer {self._token}", **kw.pop("headers", {})}
        safe = method in self.IDEMPOTENT if idempotent is None else idempotent
        attempts = 1 + (self._retries if safe else 0)
        for attempt in range(attempts):
            if self._on_call is not None:
                self._on_call()
            try:
                resp = self._http.request(method, url, headers=headers, timeout=self._timeout, **kw)
            except requests.RequestException as exc:
                if attempt + 1 < attempts:
                    self._sleep(attempt, None)
                    continue
                raise StreamUnavailable(f"Stream could not be reached ({type(exc).__name__})") from exc
            if (resp.status_code == 429 or resp.status_code >= 500) and attempt + 1 < attempts:
                self._sleep(attempt, resp.headers.get("Retry-After"))
                continue
            if resp.status_code >= 400:
                raise self._error(resp)
            return resp
        raise AssertionError("unreachable")

    @staticmethod
    def _sleep(attempt: int, retry_after: str | None) -> None:
        delay = float(retry_after) if retry_after and retry_after.isdigit() else 0.25 * 2 ** attempt
        time.sleep(min(delay, 10) * random.uniform(0.75, 1.25))

    @staticmethod
    def _error(resp: requests.Response) -> StreamError:
        codes, messages = [], []
        try:
            body = resp.json()
            for err in body.get("errors") or []:
                codes.append(err.get("code"))
                messages.append(err.get("message", ""))
        except ValueError:
            pass
        message = "; ".join(m for m in messages if m) or f"HTTP {resp.status_code}"
        return _error_for(resp.status_code)(f"Stream: {message}", status=resp.status_code, codes=codes)

    def _result(self, method: str, path: str = "", **kw) -> Any:
        resp = self._request(method, path, **kw)
        try:
            body = resp.json()
        except ValueError as exc:
            raise StreamUnavailable("Stream answered with something that is not JSON") from exc
        if not body.get("success", False):
            raise StreamValidationError("Stream did not succeed", status=resp.status_code,
                                        codes=[e.get("code") for e in body.get("errors") or []])
        return body.get("result")

    # --- videos -------------------------------------------------------------------------------
    def create_tus_upload(self, *, upload_length: int, creator: str, name: str,
                          max_duration_seconds: int, require_signed_urls: bool = True,
                          allowed_origins: Iterable[str] = (), scheduled_deletion: datetime | None = None,
                          expiry: datetime | None = None) -> TusUpload:
        """A direct creator upload: Stream answers with the URL the browser sends bytes to."""
        meta = {"name": name, "maxdurationseconds": str(int(max_duration_seconds)),
                "requiresignedurls": "" if require_signed_urls else None,
                "allowedorigins": ",".join(allowed_origins) or None,
                "scheduleddeletion": _iso(scheduled_deletion), "expiry": _iso(expiry)}
        resp = self._request("POST", "", params={"direct_user": "true"}, headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(upload_length), "Upload-Creator": creator,
            "Upload-Metadata": _metadata(meta)})
        uid, location = resp.headers.get("stream-media-id"), resp.headers.get("Location")
        if resp.status_code != 201 or not uid or not location:
            raise StreamValidationError("Stream did not create the upload", status=resp.status_code)
        return TusUpload(uid, location)

    def get_video(self, uid: str) -> dict[str, Any]:
        return self._result("GET", f"/{uid}")

    def list_videos(self, **filters: Any) -> list[dict[str, Any]]:
        return self._result("GET", "", params={k: v for k, v in filters.items() if v is not None})

    def update_video(self, uid: str, **fields: Any) -> dict[str, Any]:
        return self._result("POST", f"/{uid}", json=fields)

    def delete_video(self, uid: str) -> None:
        self._request("DELETE", f"/{uid}")

    # --- keys, webhooks, usage ------------------------------------------------------------------
    def create_signing_key(self) -> SigningKey:
        result = self._result("POST", "/keys")
        return SigningKey(result["id"], base64.b64decode(result["pem"]).decode(), result["jwk"])

    def set_webhook(self, url: str) -> str:
        return self._result("PUT", "/webhook", json={"notificationUrl": url})["secret"]

    def storage_usage(self, creator: str | None = None) -> dict[str, Any]:
        return self._result("GET", "/storage-usage", params={"creator": creator} if creator else None)

    def minutes_viewed(self, start: date, end: date) -> dict[tuple[str, str], float]:
        """Minutes delivered per (video uid, "YYYY-MM-DD") for the days start <= day < end, from
        Cloudflare's GraphQL Analytics API (contracts/cloudflare-stream/analytics-captions-downloads.md
        §3.2): windows of at most 31 days, pages sought with uid_gt under orderBy uid_ASC. Days
        older than the 90 days Stream keeps cannot be asked for; days without views have no row."""
        out: dict[tuple[str, str], float] = {}
        window = start
        while window < end:
            stop = min(window + ANALYTICS_MAX_SPAN, end)
            after = ""
            while True:
                rows = self._minutes_page(window, stop, after)
                full = len(rows) >= ANALYTICS_PAGE
                if full:     # the last uid may go on in the next page: ask for it again there
                    last = rows[-1]["dimensions"]["uid"]
                    rows = [r for r in rows if r["dimensions"]["uid"] != last]
                for row in rows:
                    dims = row["dimensions"]
                    key = (dims["uid"], str(dims["date"]))
                    out[key] = out.get(key, 0.0) + float((row.get("sum") or {}).get("minutesViewed") or 0)
                if not full or not rows:
                    break
                after = rows[-1]["dimensions"]["uid"]
            window = stop
        return out

    def _minutes_page(self, start: date, end: date, after: str) -> list[dict[str, Any]]:
        body = {"query": MINUTES_QUERY, "variables": {"accountTag": self._account, "start": start.isoformat(),
                                                      "end": end.isoformat(), "after": after}}
        try:  # a query changes nothing: safe to retry; errors may come with HTTP 200 (§4.1)
            resp = self._request("POST", url=f"{self._api}/graphql", idempotent=True, json=body)
            answer = resp.json()
        except StreamError as exc:
            raise _graphql_error(exc.message.removeprefix("Stream: "), exc.status) from exc
        except ValueError as exc:
            raise StreamUnavailable("Stream analytics answered with something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise StreamUnavailable("Stream analytics answered with something unexpected")
        if answer.get("errors"):
            raise _graphql_error("; ".join(str(e.get("message", "")) for e in answer["errors"]), resp.status_code)
        try:
            return answer["data"]["viewer"]["accounts"][0]["streamMinutesViewedAdaptiveGroups"]
        except (KeyError, IndexError, TypeError) as exc:
            raise StreamUnavailable("Stream analytics answered without the minutes asked for") from exc

    def generate_captions(self, uid: str, lang: str = "en") -> dict[str, Any]:
        return self._result("POST", f"/{uid}/captions/{lang}/generate")

    def captions_vtt(self, uid: str, lang: str = "en") -> str:
        return self._request("GET", f"/{uid}/captions/{lang}/vtt").text


def _graphql_error(message: str, status: int | None) -> StreamError:
    """A GraphQL Analytics error by its documented message (analytics-captions-downloads.md §4.2)."""
    text = f"Stream analytics: {message}"
    lower = message.lower()
    if status in (401, 403) or "unauthorized" in lower or "not authorized" in lower \
            or "does not have access" in lower or "authorization" in lower:
        return StreamAuthError(text + " (the API token needs Account Analytics Read)", status=status)
    if status == 429 or "rate limiter" in lower or "too many nodes" in lower or "excessive resources" in lower:
        return StreamRateLimited(text, status=status)
    if (status or 200) >= 500 or "try again later" in lower or "internal server error" in lower:
        return StreamUnavailable(text, status=status)
    return StreamValidationError(text, status=status)


def client_from_settings(settings) -> StreamClient:
    from . import stream_budget   # every call the portal makes counts against Cloudflare's limit

    return StreamClient(settings.stream_api_base, settings.stream_account_id, settings.stream_api_token,
                        on_call=stream_budget.count_call)


# --- playback tokens and webhooks (local, no API call) ------------------------------------------

def sign_playback_token(uid: str, key_id: str, private_pem: str, *, ttl_seconds: int,
                        access_rules: list[dict[str, Any]] | None = None, now: int | None = None) -> str:
    """An RS256 token Stream's player accepts for `uid`, valid `ttl_seconds` (at most 24 h)."""
    if not 0 < ttl_seconds <= MAX_TOKEN_TTL:
        raise ValueError("a playback token lives between 1 second and 24 hours")
    now = int(time.time()) if now is None else int(now)
    claims: dict[str, Any] = {"sub": uid, "kid": key_id, "exp": now + ttl_seconds, "nbf": now - 5}
    if access_rules:
        claims["accessRules"] = access_rules
    return jwt.encode(claims, private_pem, algorithm="RS256", headers={"kid": key_id})


def iframe_url(customer_domain: str, token: str, *, start_time: float | None = None) -> str:
    url = f"{customer_domain.rstrip('/')}/{token}/iframe"
    if start_time:
        url += "?" + urlencode({"startTime": f"{int(start_time)}s"})
    return url


def verify_webhook(body: bytes, header: str, secret: str, *, tolerance: int = 300,
                   now: int | None = None) -> None:
    """Webhook-Signature: time=<unix>,sig1=<hex HMAC-SHA256 of "time.body">; refuse stale or forged."""
    parts = dict(p.strip().partition("=")[::2] for p in header.split(",") if "=" in p)
    stamp, sig = parts.get("time", ""), parts.get("sig1", "")
    if not stamp.isdigit() or not sig:
        raise WebhookSignatureError("malformed Webhook-Signature header")
    now = int(time.time()) if now is None else now
    if abs(now - int(stamp)) > tolerance:
        raise WebhookSignatureError("stale webhook (time outside the tolerance)")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        raise WebhookSignatureError("webhook signature does not match")
