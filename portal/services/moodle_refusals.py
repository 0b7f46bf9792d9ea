"""Moodle refusing the portal's service account (a wrong token, a capability the service role lacks,
a function missing from the external service): a set-up problem only the site admin can fix. It is
logged as an ERROR and recorded, and the admin dashboard shows it as an alert naming the fix."""
from __future__ import annotations

import logging

from ..audit import record
from ..models import User
from .moodle import MoodleInvalidToken, MoodleRejected

log = logging.getLogger(__name__)
ACTION = "moodle.refused"


def fix_for(exc: MoodleRejected) -> str:
    """What the admin should change, in words."""
    if isinstance(exc, MoodleInvalidToken):
        return ("Moodle does not know the portal's service token: set MOODLE_SERVICE_TOKEN to the token of the "
                "service user (Moodle: Site administration › Server › Web services › Manage tokens).")
    if exc.capability:
        return (f"Give the portal's service role the capability {exc.capability} at system level "
                f"(Moodle: Site administration › Users › Permissions › Define roles).")
    if exc.errorcode == "accessexception":
        return (f"Moodle refused {exc.function}: add it to the Stream Portal external service and check that the "
                f"service user has webservice/rest:use.")
    if exc.errorcode == "sitepolicynotagreed":
        return "The service user has not accepted the site policy: sign in as that user once and accept it."
    return f"Moodle refused {exc.function} ({exc.errorcode}): {exc.message}"


def report(exc: MoodleRejected, actor: User | None = None) -> str:
    """ERROR log and an audit entry in the caller's transaction (the dashboard counts them)."""
    fix = fix_for(exc)
    log.error("Moodle refused %s (%s): %s", exc.function or "a call", exc.errorcode, fix)
    record(ACTION, actor, object_type="moodle", object_id=exc.function, errorcode=exc.errorcode, fix=fix)
    return fix
