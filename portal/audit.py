"""The audit log: who did what, to what, when and from where."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from .extensions import db
from .models import AuditEntry, User


def client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def record(action: str, actor: User | None, *, object_type: str = "", object_id: Any = "",
           company_id: int | None = None, **details: Any) -> AuditEntry:
    """Add an entry to the caller's transaction, so it commits (or not) with the act itself."""
    entry = AuditEntry(action=action, actor_id=getattr(actor, "id", None), object_type=object_type,
                       object_id=str(object_id), company_id=company_id, ip=client_ip(),
                       details=details)
    db.session.add(entry)
    return entry
