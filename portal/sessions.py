"""Server-side sessions (issue 18.4): Flask-Session keeps the session on the server and the cookie
holds only a random id, so signing out ends the session for every copy of the cookie.

Flask-Session's own SQLAlchemy backend does not fit this app: it declares its model on the app's
metadata at every create_app (tests build many apps), creates its table outside Alembic, and
commits the app's db.session from inside the response. So the store is the web_sessions table
(migration 0005_security) behind Flask-Session's interface, on short transactions of its own.

Two limits, both enforced by the row's expiry (a row past it is a session that does not exist):
- idle: SESSION_IDLE_MINUTES after the last request; a request pushes it on (at most once a
  minute, not a write per request);
- absolute: SESSION_MAX_HOURS after sign-in; no request pushes it on.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from flask import Flask
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from .extensions import db
from .models import WebSession, utcnow

SIGNED_IN_AT = "_signed_in_at"        # unix time of the sign-in, set by mark_signed_in
REFRESH_EVERY = timedelta(minutes=1)  # how stale the idle expiry may get before a request writes it


def _clock() -> datetime:
    return utcnow()


class DatabaseSessionInterface(ServerSideSessionInterface):
    ttl = False                        # rows expire by their expires_at; the worker deletes old ones

    def __init__(self, app: Flask, idle: timedelta, absolute: timedelta):
        self.idle, self.absolute = idle, absolute
        # cleanup_n_requests=None: no random clean-ups on requests (the worker's hourly pass does it).
        super().__init__(app, key_prefix="", use_signer=False, permanent=True, sid_length=32,
                         serialization_format="msgpack", cleanup_n_requests=None)

    def _store(self) -> OrmSession:
        return OrmSession(db.engine, expire_on_commit=False)

    def expiry_for(self, session: ServerSideSession, now: datetime) -> datetime:
        expiry = now + self.idle
        started = session.get(SIGNED_IN_AT)
        if isinstance(started, (int, float)):
            expiry = min(expiry, datetime.fromtimestamp(started, timezone.utc) + self.absolute)
        return expiry

    # Flask-Session's storage hooks ------------------------------------------------------------

    def _retrieve_session_data(self, store_id: str) -> Optional[dict]:
        with self._store() as s:
            row = s.get(WebSession, store_id)
            if row is None or row.expires_at <= _clock():
                return None
            data = self.serializer.decode(row.data)
        data["__expires_at"] = row.expires_at.timestamp()    # for should_set_storage; never stored
        return data

    def _delete_session(self, store_id: str) -> None:
        with self._store() as s, s.begin():
            s.execute(delete(WebSession).where(WebSession.id == store_id))

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        session.pop("__expires_at", None)
        expires = self.expiry_for(session, _clock())
        data = self.serializer.encode(session)
        with self._store() as s, s.begin():
            row = s.get(WebSession, store_id, with_for_update=False)
            if row is None:
                s.add(WebSession(id=store_id, data=data, expires_at=expires))
            else:
                row.data, row.expires_at = data, expires

    def _delete_expired_sessions(self) -> None:
        with self._store() as s, s.begin():
            s.execute(delete(WebSession).where(WebSession.expires_at <= _clock()))

    # Flask-Session's interface ----------------------------------------------------------------

    def open_session(self, app, request):
        session = super().open_session(app, request)
        stored = dict.pop(session, "__expires_at", None)        # not a change to the session
        session.stored_expiry = stored
        return session

    def should_set_storage(self, app, session) -> bool:
        if session.modified:
            return True
        stored = getattr(session, "stored_expiry", None)
        if stored is None:
            return True
        # Idle expiry pushed on at most once a minute; never past the absolute limit (expiry_for).
        fresh = self.expiry_for(session, _clock()).timestamp()
        return fresh - stored >= REFRESH_EVERY.total_seconds()

    def should_set_cookie(self, app, session) -> bool:
        return self.should_set_storage(app, session)


def mark_signed_in(app: Flask, session: ServerSideSession) -> None:
    """At sign-in: a new session id (no fixation), and the start of the absolute lifetime."""
    session[SIGNED_IN_AT] = _clock().timestamp()
    app.session_interface.regenerate(session)


def end(app: Flask, session: ServerSideSession) -> None:
    """At sign-out: the stored session is deleted; what is left (a flash message) gets a new id."""
    app.session_interface._delete_session(session.sid)
    session.clear()
    session.sid = app.session_interface._generate_sid(32)
    session.modified = True


def delete_expired(app: Flask) -> None:
    app.session_interface._delete_expired_sessions()


def init_sessions(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    idle = timedelta(minutes=settings.session_idle_minutes)
    app.config["PERMANENT_SESSION_LIFETIME"] = idle          # the cookie's own expiry
    app.session_interface = DatabaseSessionInterface(
        app, idle=idle, absolute=timedelta(hours=settings.session_max_hours))
