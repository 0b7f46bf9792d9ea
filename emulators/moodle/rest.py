"""webservice/rest/server.php and login/token.php: Moodle's transport, tokens and error envelopes."""
from __future__ import annotations

import json
import secrets
import time

from flask import Blueprint, current_app, request

from .functions import FUNCTIONS, Call, Fault
from .params import DECLARATIONS, InvalidParameter, decode, structure
from .site import Site

bp = Blueprint("rest", __name__)


def site() -> Site:
    return current_app.extensions["moodle_site"]


def respond(body, status: int = 200):
    # PHP's encoder escapes "/" (the same JSON value); Moodle sends no-cache headers and CORS *.
    resp = current_app.response_class(json.dumps(body).replace("/", "\\/"), status=status,
                                      mimetype="application/json")
    resp.headers.update({"Access-Control-Allow-Origin": "*", "Cache-Control": "private, must-revalidate, pre-check=0, "
                         "post-check=0, max-age=0", "Pragma": "no-cache", "Expires": "Thu, 01 Jan 1970 00:00:00 GMT"})
    return resp


def fault_body(f: Fault) -> dict:
    body = {"exception": f.exception}
    if f.errorcode is not None:
        body["errorcode"] = f.errorcode
    body["message"] = f.message
    if current_app.config["MOODLE"].get("debug") and f.debuginfo:
        body["debuginfo"] = f.debuginfo
    return body


def xml_error(f: Fault):
    xml = (f'<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="{f.exception}">\n'
           f'<ERRORCODE>{f.errorcode}</ERRORCODE>\n<MESSAGE>{f.message}</MESSAGE>\n</EXCEPTION>\n')
    return current_app.response_class(xml, mimetype="application/xml")


@bp.route("/webservice/rest/server.php", methods=["GET", "POST"])
def server():
    control = current_app.extensions["moodle_control"]
    failure = control.take_failure()
    if failure:
        return failure
    control.delay()
    if not site().webservices_enabled:
        # Recorded: server.php with web services off answers 403 and nothing else, whatever is asked.
        return current_app.response_class(b"", status=403)
    pairs = list(request.args.items(multi=True))
    form_keys = set(request.form.keys())
    pairs = [(k, v) for k, v in pairs if k not in form_keys] + list(request.form.items(multi=True))
    raw = dict(pairs)
    fmt = raw.get("moodlewsrestformat", "xml")
    try:
        result = dispatch(raw, pairs)
    except Fault as f:
        return respond(fault_body(f)) if fmt == "json" else xml_error(f)
    if fmt != "json":
        return current_app.response_class('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n</RESPONSE>\n',
                                          mimetype="application/xml")
    return respond(result)


def dispatch(raw: dict, pairs: list):
    s = site()
    token = raw.get("wstoken", "")
    info = s.tokens.get(token)
    if info is None:
        raise Fault("moodle_exception", "invalidtoken", "Invalid token - token not found")
    user = s.users[info["userid"]]
    if user.suspended:
        raise Fault("moodle_exception", "wsaccessusersuspended", f"Refused web service access for suspended username: {user.username}")
    function = raw.get("wsfunction")
    if not function:
        raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                    "Missing function name")
    if function not in FUNCTIONS or any(function.startswith(c + "_") for c in s.uninstalled):
        raise Fault("dml_missing_record_exception", "invalidrecord",
                    "Can't find data record in database table external_functions.")
    if function not in s.service_functions.get(info["service"], set()):
        raise Fault("webservice_access_exception", "accessexception", "Access control exception",
                    "Access to the function " + function + "() is not allowed.")
    try:
        params = structure(DECLARATIONS[function], decode(pairs))
    except InvalidParameter as exc:
        raise Fault("invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected",
                    exc.debuginfo) from None
    call = Call(s, user, current_app.config["MOODLE"]["siteurl"], info["service"])
    with s.lock:
        return FUNCTIONS[function](call, **params)


def token_error(code: str, message: str):
    return respond({"error": message, "errorcode": code, "stacktrace": None, "debuginfo": None,
                    "reproductionlink": None})


@bp.route("/login/token.php", methods=["GET", "POST"])
def login_token():
    values = {**request.args.to_dict(), **request.form.to_dict()}
    for name in ("username", "password", "service"):
        if not values.get(name):
            return token_error("missingparam", f"A required parameter ({name}) was missing")
    s = site()
    user = next((u for u in s.users.values() if u.username == values["username"]), None)
    if user is None or user.password != values["password"]:
        return token_error("invalidlogin", "Invalid login, please try again")
    if values["service"] not in s.service_functions and values["service"] != "moodle_mobile_app":
        return token_error("servicenotavailable", "Web service is not available. (It doesn't exist or might be disabled.)")
    for token, info in s.tokens.items():
        if info["userid"] == user.id and info["service"] == values["service"]:
            return respond({"token": token, "privatetoken": None})
    if values["service"] != "moodle_mobile_app" and not user.siteadmin and user.username not in ("wsuser", "streamportal"):
        return token_error("cannotcreatetoken", f"No permission to create web service token for the service {values['service']}.")
    token = secrets.token_hex(16)
    s.tokens[token] = {"userid": user.id, "service": values["service"], "created": int(time.time())}
    return respond({"token": token, "privatetoken": None})
