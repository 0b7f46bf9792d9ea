"""Moodle's REST parameter handling: PHP bracket notation decoded into structures, then checked
against each function's declaration the way Moodle's cleaner does (unknown keys, missing keys,
0/1 booleans, plain integers)."""
from __future__ import annotations

import re
from typing import Any, Iterable

RESERVED = {"wstoken", "wsfunction", "moodlewsrestformat"}


class InvalidParameter(Exception):
    def __init__(self, debuginfo: str):
        super().__init__(debuginfo)
        self.debuginfo = debuginfo


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """grades[0][plugindata][x][text]=… → nested dicts; list keys keep only their order."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        if name in RESERVED or name.startswith("moodlewssetting"):
            continue
        parts = re.findall(r"^[^\[]+|\[([^\]]*)\]", name)
        head = name.split("[", 1)[0]
        keys = [head] + [p for p in parts[1:]]
        node = root
        for i, key in enumerate(keys):
            if key == "":                   # PHP: a[]=1&a[]=2 appends, so both are kept
                key = str(len(node))
            if i == len(keys) - 1:
                node[key] = value
            else:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    raise InvalidParameter(f"{name} => Invalid parameter value detected")
    return root


# A declaration: ("int" | "float" | "bool" | "alpha" | "alphanum" | "alphanumext" | "text" | "raw",
# required, default) for scalars; ["list", item] for lists; {"name": decl, ...} for structures.
def S(kind: str, required: bool = True, default: Any = None):
    return ("scalar", kind, required, default)


def L(item, required: bool = True, default: Any = None):
    return ("list", item, required, default)


def O(fields: dict[str, Any] | None, required: bool = True, default: Any = None):
    return ("object", fields, required, default)


def clean(decl, value: Any, path: str) -> Any:
    kind = decl[0]
    if kind == "scalar":
        _, t, _, _ = decl
        if isinstance(value, dict):
            raise InvalidParameter(f"{path} => Invalid parameter value detected: scalar type expected, array or object received.")
        if t == "int":
            if not re.fullmatch(r"-?\d+", value or ""):
                raise InvalidParameter(f"{path} => Invalid parameter value detected: Invalid external api parameter: the value is \"{value}\", the server was expecting \"int\" type")
            return int(value)
        if t == "float":
            if not re.fullmatch(r"-?\d+(\.\d+)?", value or ""):
                raise InvalidParameter(f"{path} => Invalid parameter value detected: Invalid external api parameter: the value is \"{value}\", the server was expecting \"float\" type")
            return float(value)
        if t == "bool":
            if value not in ("0", "1"):
                raise InvalidParameter(f"{path} => Invalid parameter value detected: Invalid external api parameter: the value is \"{value}\", the server was expecting \"bool\" type")
            return value == "1"
        if t == "alpha" and not re.fullmatch(r"[A-Za-z]*", value):
            raise InvalidParameter(f"{path} => Invalid parameter value detected")
        if t == "alphanum" and not re.fullmatch(r"[A-Za-z0-9]*", value):
            raise InvalidParameter(f"{path} => Invalid parameter value detected")
        if t == "alphanumext" and not re.fullmatch(r"[A-Za-z0-9_-]*", value):
            raise InvalidParameter(f"{path} => Invalid parameter value detected")
        return value
    if kind == "list":
        if not isinstance(value, dict):
            raise InvalidParameter(f"{path} => Invalid parameter value detected: Only arrays accepted. The bad value is: '{value}'")
        return [clean(decl[1], v, f"{path} => {k}") for k, v in value.items()]
    fields = decl[1]
    if not isinstance(value, dict):
        raise InvalidParameter(f"{path} => Invalid parameter value detected: Only arrays accepted.")
    if fields is None:                    # a free-form object (plugindata)
        return value
    return structure(fields, value, path)


def structure(fields: dict[str, Any], value: dict[str, Any], path: str = "") -> dict[str, Any]:
    unknown = [k for k in value if k not in fields]
    if unknown:
        raise InvalidParameter(f"{path + ' => ' if path else ''}Unexpected keys ({', '.join(unknown)}) detected in parameter array.")
    out: dict[str, Any] = {}
    for name, decl in fields.items():
        if name in value:
            out[name] = clean(decl, value[name], f"{path} => {name}" if path else name)
        elif decl[2]:
            raise InvalidParameter(f"{path + ' => ' if path else ''}Missing required key in single structure: {name}")
        else:
            out[name] = decl[3]
    return out


KV = O({"name": S("raw"), "value": S("raw")})
# The feedback plugins' external parameters (assignfeedback_comments, assignfeedback_file): a
# misspelt key or an editor without text/format is invalidparameter (REAL-SITE.md).
PLUGINDATA = O({"assignfeedbackcomments_editor": O({"text": S("raw"), "format": S("int")}, False),
                "files_filemanager": S("int", False)}, False, {})
GRADE = O({"userid": S("int"), "grade": S("float"), "attemptnumber": S("int"), "addattempt": S("bool"),
           "workflowstate": S("alpha"), "plugindata": PLUGINDATA, "advancedgradingdata": O(None, False, {})})

# IOMAD 4.3's optional company fields (create_companies, edit_companies).
COMPANY = {k: S("text", False) for k in ("code", "address", "region", "postcode", "timezone", "lang", "customcss",
                                         "custom1", "custom2", "custom3")} | {
    k: S("int", False) for k in ("maildisplay", "mailformat", "maildigest", "autosubscribe", "trackforums",
                                 "htmleditor", "screenreader", "suspended", "ecommerce", "parentid", "validto",
                                 "suspendafter")}

DECLARATIONS: dict[str, dict[str, Any]] = {
    "core_webservice_get_site_info": {"serviceshortnames": L(S("raw"), False, [])},
    "core_user_get_users_by_field": {"field": S("alpha"), "values": L(S("raw"))},
    "core_enrol_get_users_courses": {"userid": S("int"), "returnusercount": S("bool", False, True)},
    "core_enrol_get_enrolled_users": {"courseid": S("int"), "options": L(KV, False, [])},
    "core_course_get_course_module": {"cmid": S("int")},
    "core_course_get_courses_by_field": {"field": S("alpha", False, ""), "value": S("raw", False, "")},
    "core_course_get_contents": {"courseid": S("int"), "options": L(KV, False, [])},
    "mod_assign_get_assignments": {"courseids": L(S("int"), False, []), "capabilities": L(S("raw"), False, []),
                                   "includenotenrolledcourses": S("bool", False, False)},
    "mod_assign_get_grades": {"assignmentids": L(S("int")), "since": S("int", False, 0)},
    "mod_assign_get_submissions": {"assignmentids": L(S("int")), "status": S("alpha", False, ""),
                                   "since": S("int", False, 0), "before": S("int", False, 0)},
    "mod_assign_get_submission_status": {"assignid": S("int"), "userid": S("int", False, 0),
                                         "groupid": S("int", False, 0)},
    "mod_assign_get_user_flags": {"assignmentids": L(S("int"))},
    "mod_assign_set_user_flags": {"assignmentid": S("int"), "userflags": L(O(None))},
    "mod_assign_save_grade": {"assignmentid": S("int"), "userid": S("int"), "grade": S("float"),
                              "attemptnumber": S("int"), "addattempt": S("bool"), "workflowstate": S("alpha"),
                              "applytoall": S("bool"), "plugindata": PLUGINDATA,
                              "advancedgradingdata": O(None, False, {})},
    "mod_assign_save_grades": {"assignmentid": S("int"), "applytoall": S("bool"), "grades": L(GRADE)},
    "mod_assign_save_submission": {"assignmentid": S("int"), "plugindata": O(None)},
    "mod_assign_submit_for_grading": {"assignmentid": S("int"), "acceptsubmissionstatement": S("bool")},
    "core_grades_update_grades": {"source": S("raw"), "courseid": S("int"), "component": S("raw"),
                                  "activityid": S("int"), "itemnumber": S("int"),
                                  "grades": L(O({"studentid": S("int"), "grade": S("float"),
                                                 "str_feedback": S("raw", False, None)}), False, []),
                                  "itemdetails": O(None, False, {})},
    "block_iomad_company_admin_get_companies": {"criteria": L(O({"key": S("raw"), "value": S("raw")}))},
    "block_iomad_company_admin_create_companies": {"companies": L(O(COMPANY | {
        "name": S("text"), "shortname": S("text"), "city": S("text"), "country": S("text")}))},
    "block_iomad_company_admin_edit_companies": {"companies": L(O({"id": S("int")} | COMPANY | {
        k: S("text", False) for k in ("name", "shortname", "city", "country")}))},
    "block_iomad_company_admin_get_company_courses": {"criteria": L(O({"companyid": S("int", False, 0),
                                                                       "shared": S("int", False, 0)}))},
    "block_iomad_company_admin_get_user_companies": {"userid": S("int")},
    "block_iomad_company_admin_get_departments": {"criteria": L(O({"key": S("raw"), "value": S("raw")}))},
    "block_iomad_company_admin_get_department_users": {"departmentids": L(S("int"), False, [])},
    "assignsubmission_streamportal_record_video": {
        "assignmentid": S("int"), "userid": S("int"), "streamuid": S("alphanum"),
        "portalsubmissionid": S("alphanumext"), "status": S("alpha"), "durationseconds": S("float", False, 0.0),
        "sizebytes": S("int", False, 0), "uploadedat": S("int"), "deleteafter": S("int", False, 0),
        "submit": S("bool", False, True)},
    "assignsubmission_streamportal_get_videos": {"assignmentids": L(S("int")), "userid": S("int", False, 0),
                                                 "since": S("int", False, 0), "includedeleted": S("bool", False, False)},
    "assignsubmission_streamportal_set_video_status": {"streamuid": S("alphanum"), "status": S("alpha"),
                                                       "durationseconds": S("float", False, 0.0),
                                                       "readyat": S("int", False, 0)},
    "assignsubmission_streamportal_get_user_context": {"userid": S("int")},
}
