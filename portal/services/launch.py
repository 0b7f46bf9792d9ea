"""Sign-in links signed by the Moodle companion plugin for the Moodle user already signed in there
(moodle/assignsubmission_streamportal/README.md, "Sign-in from Moodle"): the way in for Moodle
4.1–4.4, where local_oauth2 does not install, and a one-click way in on every version.

sig = hex(HMAC-SHA256(EMBED_SHARED_SECRET, "launch|<user>|<cmid>|<expires>|<nonce>")), as the
player embed (services/embed.py) but with its own prefix, so neither can stand in for the other.
The nonce is stored when the link is used, so a link signs in once. `verify` knows nothing of
sessions or pages: a later framed flow verifies its launch with it too."""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from sqlalchemy import delete

from ..extensions import db
from ..models import LaunchNonce
from .insert_once import insert_once

# The plugin signs for 600 s (embed::LAUNCH_LIFETIME); a link claiming more was not made by it.
MAX_LIFETIME = 900
NONCE = re.compile(r"[0-9a-f]{32,64}")
DIGITS = re.compile(r"[1-9][0-9]{0,17}|0")


class LaunchRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Launch:
    moodle_user_id: int
    cmid: int                       # 0: no particular assignment
    expires: int
    nonce: str


def signature(secret: str, user: int, cmid: int, expires: int, nonce: str) -> str:
    return hmac.new(secret.encode(), f"launch|{user}|{cmid}|{expires}|{nonce}".encode(), hashlib.sha256).hexdigest()


def _parse(args: Mapping[str, str]) -> tuple[int, int, int, str, str]:
    try:
        raw = [args["user"], args["cmid"], args["expires"]]
        nonce, sig = args["nonce"], args["sig"]
    except KeyError:
        raise LaunchRefused(400, "This sign-in link is incomplete. Go back to Moodle and use "
                                 "“Open in Stream Portal” again.") from None
    if not all(DIGITS.fullmatch(v) for v in raw) or not NONCE.fullmatch(nonce):
        raise LaunchRefused(400, "This sign-in link is damaged. Go back to Moodle and use "
                                 "“Open in Stream Portal” again.")
    user, cmid, expires = map(int, raw)
    return user, cmid, expires, nonce, sig


def verify(secret: str, args: Mapping[str, str], *, now: int | None = None) -> Launch:
    """Check a launch and spend its nonce, in the caller's transaction: if what follows fails and
    rolls back, the link is still good until it expires. Raises LaunchRefused."""
    if not secret:
        raise LaunchRefused(503, "Sign-in from Moodle is not set up on this portal (EMBED_SHARED_SECRET).")
    user, cmid, expires, nonce, sig = _parse(args)
    if not hmac.compare_digest(signature(secret, user, cmid, expires, nonce), sig.lower()):
        raise LaunchRefused(403, "This sign-in link is not valid. Go back to Moodle and use "
                                 "“Open in Stream Portal” again.")
    now = int(time.time()) if now is None else now
    if now > expires:
        raise LaunchRefused(403, "This sign-in link has expired. Go back to Moodle, reload the page and "
                                 "use “Open in Stream Portal” again.")
    if expires - now > MAX_LIFETIME:
        raise LaunchRefused(403, "This sign-in link is not valid: it claims to last too long.")
    expires_at = datetime.fromtimestamp(expires, timezone.utc)
    db.session.execute(delete(LaunchNonce).where(LaunchNonce.expires_at < datetime.fromtimestamp(now, timezone.utc)))
    if insert_once(db.session, LaunchNonce, "nonce",
                   {"nonce": nonce, "moodle_user_id": user, "expires_at": expires_at}) is None:
        raise LaunchRefused(403, "This sign-in link was used already. Go back to Moodle and use "
                                 "“Open in Stream Portal” again.")
    return Launch(user, cmid, expires, nonce)
