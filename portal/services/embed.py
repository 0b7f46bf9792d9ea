"""Links signed by the Moodle companion plugin (moodle/assignsubmission_streamportal/README.md):
HMAC-SHA256 over "uid|viewer|cmid|expires" with the shared secret. Moodle never holds a Stream
key; the portal checks the signature and the viewer's own rights, then mints the Stream token."""
from __future__ import annotations

import hashlib
import hmac
import time

from sqlalchemy import select

from .. import params
from ..extensions import db
from ..models import Assignment, Submission, User


class EmbedRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def signature(secret: str, uid: str, viewer: int, cmid: int, expires: int) -> str:
    return hmac.new(secret.encode(), f"{uid}|{viewer}|{cmid}|{expires}".encode(), hashlib.sha256).hexdigest()


def resolve(secret: str, args, now: int | None = None) -> tuple[User, Submission]:
    if not secret:
        raise EmbedRefused(503, "The Moodle embed is not configured on this portal.")
    try:
        uid, sig = args["uid"], args["sig"]
        viewer, cmid = params.whole(args["viewer"], "viewer"), params.whole(args["cmid"], "cmid")
        expires = params.whole(args["expires"], "expires", hi=2**40)
    except (KeyError, params.BadParam):
        raise EmbedRefused(400, "This video link is incomplete.") from None
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a "no").
    if not hmac.compare_digest(signature(secret, uid, viewer, cmid, expires).encode(), sig.encode()):
        raise EmbedRefused(403, "This video link is not valid.")
    if (now or int(time.time())) > expires:
        raise EmbedRefused(403, "This video link has expired; reload the Moodle page.")
    user = db.session.scalar(select(User).where(User.moodle_id == viewer))
    sub = db.session.scalar(select(Submission).join(Submission.assignment)
                            .where(Submission.stream_uid == uid, Assignment.cmid == cmid))
    if user is None or sub is None:
        raise EmbedRefused(404, "This video is not known to the portal.")
    return user, sub
