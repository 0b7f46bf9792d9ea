"""The audit log: who did what, to what, when and from where."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import abort, has_request_context, request
from sqlalchemy import Select, or_, select

from . import params
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


def search_audit(args) -> Select:
    """Audit entries matching a search form (action prefix, who, object, company, dates), newest first."""
    q = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if args.get("action"):
        q = q.where(AuditEntry.action.like(args["action"].strip() + "%"))
    if args.get("who"):
        who = f"%{args['who'].strip()}%"
        q = q.join(User, User.id == AuditEntry.actor_id).where(or_(User.username.ilike(who), User.fullname.ilike(who)))
    if args.get("object"):
        q = q.where(AuditEntry.object_id == args["object"].strip())
    try:
        company = params.id_arg(args, "company")
    except params.BadParam as exc:
        abort(400, str(exc))
    if company is not None:
        q = q.where(AuditEntry.company_id == company)
    for name, op in (("since", AuditEntry.at.__ge__), ("until", AuditEntry.at.__lt__)):
        if args.get(name):
            try:
                q = q.where(op(datetime.fromisoformat(args[name]).replace(tzinfo=timezone.utc)))
            except ValueError:
                abort(400, f"'{name}' must be a date like 2026-11-25.")
    return q
