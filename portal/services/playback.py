"""Playback: a Stream token minted per request, only after the authorization check."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app

from sqlalchemy import select

from .. import authz, security
from ..audit import record
from ..extensions import db
from ..models import AuditEntry, Submission, User, VideoStatus, utcnow
from .stream import iframe_url, sign_playback_token


@dataclass(frozen=True)
class Playback:
    iframe_url: str
    expires_at: datetime


class PlaybackUnavailable(Exception):
    """The video cannot be played (not ready, deleted, or no signing key configured)."""


def playback_for(user: User, sub: Submission, *, start_time: float | None = None) -> Playback:
    if authz.Right.PLAY not in authz.rights(user, sub):
        abort(404 if authz.Right.VIEW not in authz.rights(user, sub) else 403)
    if sub.status != VideoStatus.READY.value or not sub.stream_uid:
        raise PlaybackUnavailable("The video is not ready to play.")
    s = current_app.config["SETTINGS"]
    if not s.stream_key_id:
        failed(user, sub, "no signing key configured")
        raise PlaybackUnavailable("Playback is not configured (no signing key): ask an administrator.")
    now = utcnow()
    try:
        token = sign_playback_token(sub.stream_uid, s.stream_key_id, s.stream_key_pem,
                                    ttl_seconds=s.playback_token_ttl, now=int(now.timestamp()))
    except (ValueError, TypeError) as exc:       # a malformed key in the configuration
        failed(user, sub, f"token could not be signed ({type(exc).__name__})")
        raise PlaybackUnavailable("The video cannot be played right now: ask an administrator.") from None
    audit_token(user, sub, now)
    security.no_store()              # the page carries a token: no cache may keep it
    return Playback(iframe_url(s.stream_customer_domain, token, start_time=start_time),
                    now + timedelta(seconds=s.playback_token_ttl))


def failed(user: User, sub: Submission, why: str) -> None:
    """A playback-token error: in the audit log, counted by the operations alerts."""
    record("playback.error", user, object_type="submission", object_id=sub.id,
           company_id=sub.assignment.course.company_id, reason=why)
    db.session.commit()


def audit_token(user: User, sub: Submission, now) -> None:
    """Token issues are aggregated: one audit entry per viewer, video and hour."""
    recent = db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "playback.token", AuditEntry.actor_id == user.id,
        AuditEntry.object_id == str(sub.id), AuditEntry.at > now - timedelta(hours=1)).limit(1))
    if recent is None:
        record("playback.token", user, object_type="submission", object_id=sub.id,
               company_id=sub.assignment.course.company_id)
        db.session.commit()
