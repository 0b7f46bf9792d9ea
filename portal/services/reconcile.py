"""The reconciler: Stream is asked about every submission still in flight, so a lost webhook
never leaves a video stuck in "processing"."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Submission, VideoStatus
from .stream import StreamClient, StreamError
from .submissions import refresh_from_stream

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    checked: int = 0
    changed: int = 0
    failed: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def reconcile(stream: StreamClient, *, find_orphans: bool = False) -> ReconcileReport:
    report = ReconcileReport()
    pending = db.session.scalars(select(Submission).where(
        Submission.status.in_((VideoStatus.UPLOADING.value, VideoStatus.PROCESSING.value)),
        Submission.stream_uid.is_not(None)).order_by(Submission.id)).all()
    for sub in pending:
        report.checked += 1
        try:
            if refresh_from_stream(sub, stream):
                report.changed += 1
            db.session.commit()
        except StreamError as exc:
            db.session.rollback()
            report.failed.append(f"{sub.stream_uid}: {exc}")
    if find_orphans:
        known = set(db.session.scalars(select(Submission.stream_uid).where(Submission.stream_uid.is_not(None))))
        report.orphans = [v["uid"] for v in stream.list_videos() if v["uid"] not in known]
    return report
