"""Demo data for `make run`: everyone Moodle knows, and a few real videos to grade.

The people, courses and assignments come from Moodle (the emulator's demo site) exactly as they
would at sign-in; the videos are generated with ffmpeg and uploaded to Stream with tus, so the
teacher's queue has something real to play.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import func, select
from tusclient import client as tus

from .extensions import db
from .models import Assignment, Enrolment, Submission, VideoStatus, utcnow
from .services import stream as stream_service
from .services.roster import Roster, moodle_client
from .services.submissions import refresh_from_stream, stream_max_duration

DEMO_VIDEOS = 3


def make_video(path: Path, seconds: int, pattern: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"{pattern}=duration={seconds}:size=640x360:rate=25", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-shortest", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)], check=True)


def seed_demo(say: Callable[[str], None] = print) -> None:
    users = Roster(moodle_client()).sync_site()
    db.session.commit()
    say(f"synced {len(users)} demo users from Moodle")
    if db.session.scalar(select(func.count(Submission.id))):
        say("demo submissions exist already")
        return
    if shutil.which("ffmpeg") is None:
        say("ffmpeg is missing: no demo videos")
        return
    settings = current_app.config["SETTINGS"]
    client = stream_service.client_from_settings(settings)
    pairs = db.session.execute(
        select(Assignment, Enrolment).join(Enrolment, Enrolment.course_id == Assignment.course_id)
        .where(Enrolment.role == "student").order_by(Assignment.id, Enrolment.user_id.desc())).all()
    # The last students of each course get the demo videos: student1, the account a newcomer tries
    # first, meets a fresh assignment it can upload to (the assignments reopen by hand only).
    seen_students: set[int] = set()
    chosen = []
    for assignment, enrolment in pairs:
        if enrolment.user_id not in seen_students and len(chosen) < DEMO_VIDEOS:
            seen_students.add(enrolment.user_id)
            chosen.append((assignment, enrolment.user))
    uploaded = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (assignment, student) in enumerate(chosen):
            path = Path(tmp) / f"demo{i}.mp4"
            make_video(path, 6 + 2 * i, ("testsrc", "smptebars", "testsrc2")[i % 3])
            size = path.stat().st_size
            upload = client.create_tus_upload(upload_length=size, creator=str(student.moodle_id),
                                              name=f"fieldwork-{student.username}.mp4",
                                              max_duration_seconds=stream_max_duration(assignment),
                                              allowed_origins=(settings.base_url.split("://", 1)[1],))
            sub = Submission(assignment=assignment, student=student, attempt=1, stream_uid=upload.uid,
                             upload_url=upload.upload_url, upload_length=size, filename=path.name,
                             status=VideoStatus.PROCESSING.value, uploaded_at=utcnow())
            db.session.add(sub)
            db.session.commit()
            tus.TusClient(upload.upload_url).uploader(str(path), url=upload.upload_url,
                                                      chunk_size=5 * 1024 * 1024).upload()
            uploaded.append(sub)
            say(f"uploaded a demo video for {student.username} in '{assignment.name}'")
    wait_until_processed(uploaded, client, say)


def wait_until_processed(subs: list[Submission], client, say: Callable[[str], None], timeout: float = 60) -> None:
    """Stream's webhooks cannot reach a portal that is not listening yet (it starts after this),
    so ask Stream as the reconciler would: the demo videos are playable, and recorded in Moodle,
    on the first click rather than after the worker's next reconcile."""
    deadline = time.monotonic() + timeout
    waiting = list(subs)
    while waiting and time.monotonic() < deadline:
        for sub in list(waiting):
            refresh_from_stream(sub, client)
            if sub.status != VideoStatus.PROCESSING.value:
                waiting.remove(sub)
                say(f"demo video of {sub.student.username}: {sub.status}")
        db.session.commit()
        if waiting:
            time.sleep(0.5)
    if waiting:
        say(f"{len(waiting)} demo video(s) still processing at Stream; the worker's reconciler will catch up")
