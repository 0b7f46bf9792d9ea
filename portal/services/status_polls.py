"""A page's status poll (every 3 s while a video is uploading or processing), answered from the
portal's own state: the webhooks Stream sent (applied here if the worker has not yet), then the
reconciler's findings. Stream itself is asked at most once per video per STREAM_POLL_INTERVAL,
whoever polls, and only within the polls' share of the API budget (stream_budget): 200 students
polling make at most 120 Stream calls a minute instead of 4,000 (bench/stream_polls.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ..models import Submission, VideoStatus
from . import stream_budget, stream_events
from .stream import StreamClient
from .submissions import refresh_from_stream

PENDING = (VideoStatus.UPLOADING.value, VideoStatus.PROCESSING.value)


def poll_status(sub: Submission, stream: StreamClient) -> bool:
    """True when the submission changed. The caller commits what refresh_from_stream changed."""
    if not sub.stream_uid or sub.status not in PENDING:
        return False
    if stream_events.apply_for(sub.stream_uid):
        return True
    interval = timedelta(seconds=current_app.config["SETTINGS"].stream_poll_interval)
    if not stream_budget.may_ask_for(sub.stream_uid, interval):
        return False
    return refresh_from_stream(sub, stream)
