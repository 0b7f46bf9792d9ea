"""Fixtures the student's upload tests share."""
from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def assignment_for(make):
    course = make.course(make.company())
    assignment = make.assignment(course, name="Field walk", max_minutes=1, max_bytes=80 * 1024 * 1024,
                                 reopen_method="manual")       # two attempts, reopened by hand in Moodle
    return assignment, make.student(course, fullname="Ada Student")


@pytest.fixture(scope="session")
def big_video(tmp_path_factory):
    """~12 MB, so the 5 MiB chunks give a real multi-chunk upload."""
    path = tmp_path_factory.mktemp("big") / "big.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=duration=20:size=640x360:rate=25", "-c:v", "libx264", "-b:v", "4M",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path
