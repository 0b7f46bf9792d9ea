"""Replaying the recorded IOMAD 4.3.7 requests against the emulator, comparing answers by shape."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "moodle" / "recorded"
FUNCTIONS = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "moodle" / "functions"
CONTRACTS = {p.stem for p in FUNCTIONS.glob("*.json")}
# Values that differ by nature between two sites: times, generated ids, URLs and tokens.
VOLATILE = {"timecreated", "timemodified", "id", "token", "privatetoken", "siteurl", "userpictureurl",
            "profileimageurl", "profileimageurlsmall", "version", "release", "userprivateaccesskey"}


# The files give the time to the second only, and a directory lists them in no order (and in another
# one on another machine): within one second these were made in this order, as their answers show
# (submission and grade ids, statuses, feedback present or not). The rest of a second follow by name.
SAME_SECOND = [
    # 02:45:53: student1 drafts, submits and tries again; the service account tries to act for them.
    "mod_assign_save_submission", "mod_assign_get_submission_status__after_save_draft",
    "mod_assign_submit_for_grading", "mod_assign_submit_for_grading__again", "mod_assign_save_submission__after_submitted",
    "mod_assign_save_submission__by_wsuser", "mod_assign_save_submission__by_wsuser_userid_param",
    "mod_assign_submit_for_grading__by_wsuser",
    # 02:46:01: student2 submits Quick task (submission 2), all is read, then grades 1 to 6 are written.
    "mod_assign_save_submission__nodrafts_student2", "mod_assign_get_submission_status__student1_self",
    "mod_assign_get_submission_status__after_submit", "mod_assign_get_submissions__after",
    "mod_assign_get_submissions__status_submitted", "mod_assign_save_grade",
    "mod_assign_save_grade__regrade_without_plugindata_dberror", "mod_assign_save_grade__noplugindata",
    "mod_assign_save_grade__not_enrolled", "mod_assign_save_grade__nonexistent_user",
    "mod_assign_save_grade__by_student", "mod_assign_save_grades",
    # 02:46:02: grade 7 (student3 in Quick task) is in every answer of that second.
    "mod_assign_save_grades__not_enrolled",
    # 02:46:40 and 02:47:14: the reads named "after" the write.
    "mod_assign_save_grade__over_max", "mod_assign_get_grades__after_over_max",
    "block_iomad_company_admin_edit_companies",
]


def recorded() -> list[tuple[str, dict]]:
    """Every recorded request, in the order the site received them."""
    rank = {name: i for i, name in enumerate(SAME_SECOND)}
    out = [(path.stem, json.loads(path.read_text())) for path in RECORDED.glob("*.json")]
    return sorted(out, key=lambda r: (r[1]["recorded_at"], rank.get(r[0], len(rank)), r[0]))


def compared(name: str) -> bool:
    """Answers with a function contract (or generic errors and tokens), recorded with debugging off."""
    return not name.startswith("debug__") and (name.split("__")[0] in CONTRACTS
                                               or name.startswith(("error__", "login_token__")))


def recordings() -> list[tuple[str, dict]]:
    return [(name, rec) for name, rec in recorded() if compared(name)]


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
