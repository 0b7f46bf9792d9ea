"""Stream emulator upload throughput with tuspy, next to raw disk write speed in the same run.
Target: emulator ≥ 60 % of raw disk. Usage: python bench/stream_upload.py [MiB]"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _servers import random_file, start_stream_emulator

from tusclient import client as tus

MiB = 1024 * 1024


def raw_disk(src: Path, dst: Path) -> float:
    start = time.perf_counter()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(8 * MiB):
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return src.stat().st_size / (time.perf_counter() - start) / MiB


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from portal.services.stream import StreamClient

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = random_file(tmp / "src.bin", size_mib * MiB)
        disk = raw_disk(src, tmp / "copy.bin")
        (tmp / "copy.bin").unlink()
        proc, url, account, token = start_stream_emulator(tmp / "stream")
        try:
            client = StreamClient(f"{url}/client/v4", account, token)
            upload = client.create_tus_upload(upload_length=src.stat().st_size, creator="bench", name="src.bin",
                                              max_duration_seconds=60)
            start = time.perf_counter()
            tus.TusClient(upload.upload_url).uploader(str(src), url=upload.upload_url, chunk_size=50 * MiB).upload()
            fd = os.open(tmp / "stream" / "media" / upload.uid, os.O_RDONLY)
            os.fsync(fd)                       # on disk, like the raw baseline
            os.close(fd)
            elapsed = time.perf_counter() - start
            emulator = src.stat().st_size / elapsed / MiB
        finally:
            proc.terminate()
            proc.wait()
    ratio = emulator / disk
    print(f"file: {size_mib} MiB")
    print(f"raw disk write (copy + fsync): {disk:.0f} MiB/s")
    print(f"tuspy -> Stream emulator (50 MiB chunks): {emulator:.0f} MiB/s")
    print(f"ratio: {ratio:.0%} (target >= 60 %)")
    print(json.dumps({"size_mib": size_mib, "raw_disk_mib_s": round(disk, 1), "emulator_tuspy_mib_s": round(emulator, 1),
                      "ratio": round(ratio, 3), "target_met": ratio >= 0.6}))


if __name__ == "__main__":
    main()
