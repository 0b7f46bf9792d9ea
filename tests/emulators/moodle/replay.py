"""Replaying the recorded IOMAD 4.3.7 requests against the emulator, comparing answers by shape."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "moodle" / "recorded"
FUNCTIONS = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "moodle" / "functions"
# Values that differ by nature between two sites: times, generated ids, URLs and tokens.
VOLATILE = {"timecreated", "timemodified", "id", "token", "privatetoken", "siteurl", "userpictureurl",
            "profileimageurl", "profileimageurlsmall", "version", "release", "userprivateaccesskey"}


def recordings() -> list[tuple[str, dict]]:
    functions = {p.stem for p in FUNCTIONS.glob("*.json")}
    out = []
    for path in RECORDED.glob("*.json"):
        name = path.stem
        if name.startswith("debug__"):
            continue
        rec = json.loads(path.read_text())
        fn = name.split("__")[0]
        if fn in functions or name.startswith(("error__", "login_token__")):
            out.append((name, rec))
    return sorted(out, key=lambda r: r[1]["recorded_at"])


def jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def compare(want: Any, got: Any, path: str = "$") -> list[str]:
    """Differences in keys, key order, JSON types, nulls and omissions (values of volatile fields,
    and list lengths beyond the first element's shape, are not compared)."""
    if jtype(want) != jtype(got):
        return [f"{path}: {jtype(want)} recorded, {jtype(got)} answered"]
    if isinstance(want, dict):
        diffs = []
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        if missing:
            diffs.append(f"{path}: missing keys {missing}")
        if extra:
            diffs.append(f"{path}: extra keys {extra}")
        for k in want:
            if k in got:
                diffs += compare(want[k], got[k], f"{path}.{k}")
        return diffs
    if isinstance(want, list):
        if bool(want) != bool(got):
            return [f"{path}: {len(want)} items recorded, {len(got)} answered"]
        return compare(want[0], got[0], f"{path}[0]") if want else []
    return []


def key_fields(body: Any) -> dict:
    """What must be equal, not just alike: exception, errorcode, warning codes."""
    if isinstance(body, dict):
        out = {k: body.get(k) for k in ("exception", "errorcode", "error") if k in body}
        if "warnings" in body:
            out["warnings"] = sorted((w.get("item"), str(w.get("warningcode"))) for w in body["warnings"] or [])
        return out
    return {}
