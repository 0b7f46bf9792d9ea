"""Minutes viewed: the emulator's record of what its player and its HLS delivered, and the
GraphQL Analytics API that reports it (POST /client/v4/graphql, node
streamMinutesViewedAdaptiveGroups), as ../shared/contracts/cloudflare-stream/
analytics-captions-downloads.md describes it (§0-§4).

The query is parsed and validated against a schema of the documented fields with graphql-core,
so an unknown field, dataset or argument is answered as Cloudflare answers it: a GraphQL error
in `errors` (with `data: null`), not a made-up success.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from graphql import GraphQLError, GraphQLScalarType, build_schema, graphql_sync

from .store import Store

bp = Blueprint("stream_graphql", __name__)

MAX_SPAN = timedelta(days=31)          # §2.5: 2,678,400 s per query
RETENTION = timedelta(days=90)         # §2.5: 7,776,000 s kept
MAX_PAGE = 10000                       # §2.4: per plan; the emulator's plan allows this many
QUOTA, WINDOW = 300, 300.0             # §2.5: 300 queries per 5 minutes per user

SDL = """
scalar string
scalar Date
scalar Time

type Query { viewer: Viewer }
type Viewer { accounts(filter: AccountFilter!): [Account!]! }
input AccountFilter { accountTag: string }

type Account {
  streamMinutesViewedAdaptiveGroups(filter: AccountStreamMinutesViewedAdaptiveGroupsFilter,
    orderBy: [AccountStreamMinutesViewedAdaptiveGroupsOrderBy!], limit: Int): [StreamMinutesGroup!]!
}
input AccountStreamMinutesViewedAdaptiveGroupsFilter {
  date: Date, date_geq: Date, date_gt: Date, date_leq: Date, date_lt: Date, date_neq: Date, date_in: [Date!]
  datetime: Time, datetime_geq: Time, datetime_gt: Time, datetime_leq: Time, datetime_lt: Time
  uid: string, uid_in: [string!], uid_gt: string, uid_geq: string, uid_lt: string, uid_leq: string,
  uid_neq: string
  clientCountryName: string, clientCountryName_in: [string!], clientCountryName_neq: string
  creator: string, creator_in: [string!]
  AND: [AccountStreamMinutesViewedAdaptiveGroupsFilter!]
  OR: [AccountStreamMinutesViewedAdaptiveGroupsFilter!]
}
enum AccountStreamMinutesViewedAdaptiveGroupsOrderBy {
  uid_ASC uid_DESC sum_minutesViewed_ASC sum_minutesViewed_DESC
}
type StreamMinutesGroup { sum: StreamMinutesSum, dimensions: StreamMinutesDimensions }
type StreamMinutesSum { minutesViewed: Float }
type StreamMinutesDimensions { uid: string, date: Date, datetime: Time, clientCountryName: string, creator: string }
"""


def _date(value: Any) -> str:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise GraphQLError("error parsing args: a Date is a string YYYY-MM-DD")


def _time(value: Any) -> str:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        when = None
    if not isinstance(value, str) or when is None or when.tzinfo is None:
        raise GraphQLError("error parsing args: a Time is an RFC 3339 date-time such as 2022-07-24T11:00:00Z")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise GraphQLError("error parsing args: expected a string")
    return value


SCHEMA = build_schema(SDL)
for _name, _parse in (("string", _string), ("Date", _date), ("Time", _time)):
    _scalar: GraphQLScalarType = SCHEMA.type_map[_name]   # type: ignore[assignment]
    _scalar.parse_value = _parse
    _scalar.serialize = lambda v: v


# --- the record of minutes delivered ----------------------------------------------------------

def record_minutes(store: Store, uid: str, minutes: float, when: datetime | None = None) -> None:
    """Add minutes delivered of `uid`, kept per video and UTC hour (the `views` document)."""
    if minutes <= 0:
        return
    hour = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:00:00Z")
    key = f"{uid}|{hour}"
    with store.lock:
        views = store.doc("views", {})
        views[key] = views.get(key, 0) + minutes
        store.save_doc("views", views)


def _rows(store: Store) -> list[dict[str, Any]]:
    videos = {}
    out = []
    for key, minutes in store.doc("views", {}).items():
        uid, stamp = key.split("|", 1)
        if len(stamp) == 10:                   # older records: per day
            stamp += "T00:00:00Z"
        if uid not in videos:
            videos[uid] = store.get(uid) or {}
        out.append({"uid": uid, "datetime": stamp, "date": stamp[:10], "clientCountryName": "XX",
                    "creator": videos[uid].get("creator") or "", "minutesViewed": float(minutes)})
    return out


# --- filters ------------------------------------------------------------------------------------

OPS = {"": lambda a, b: a == b, "in": lambda a, b: a in (b or []), "neq": lambda a, b: a != b,
       "gt": lambda a, b: a > b, "geq": lambda a, b: a >= b, "lt": lambda a, b: a < b, "leq": lambda a, b: a <= b}


def _matches(row: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, want in flt.items():
        if key == "AND":
            if not all(_matches(row, f) for f in want):
                return False
            continue
        if key == "OR":
            if want and not any(_matches(row, f) for f in want):
                return False
            continue
        field, _, op = key.partition("_")
        have = row[field]
        if not OPS[op](have, want):
            return False
    return True


def _bounds(flt: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The time span a filter asks for (top level, as the limits are checked)."""
    def at(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00") if "T" in value else value + "T00:00:00+00:00")
    lo = hi = None
    for key, value in flt.items():
        if not key.startswith("date") or value is None:
            continue
        op = key.partition("_")[2]
        step = timedelta(days=1) if key.startswith("date_") or key == "date" else timedelta(0)
        if op in ("", "geq", "gt"):
            lo = at(value) if lo is None else max(lo, at(value))
        if op in ("", "leq"):
            hi = at(value) + step if hi is None else min(hi, at(value) + step)
        if op == "lt":
            hi = at(value) if hi is None else min(hi, at(value))
    return lo, hi


# --- resolvers ----------------------------------------------------------------------------------

def _selected(info, name: str) -> list[str]:
    for node in info.field_nodes[0].selection_set.selections:
        if getattr(node, "name", None) and node.name.value == name and node.selection_set:
            return [n.name.value for n in node.selection_set.selections if getattr(n, "name", None)]
    return []


def _groups(account: dict[str, Any], info, filter=None, orderBy=None, limit=100):  # noqa: A002 (GraphQL names)
    flt = filter or {}
    if limit is None or not 0 < limit <= MAX_PAGE:
        raise GraphQLError(f"limit must be positive number and not greater than {MAX_PAGE}")
    lo, hi = _bounds(flt)
    now = datetime.now(timezone.utc)
    if lo is None or lo < now - RETENTION:
        raise GraphQLError(f"cannot request data older than {int(RETENTION.total_seconds())}s")
    if (hi or now) - lo > MAX_SPAN:
        raise GraphQLError(f"query time range is too large, the maximum is {int(MAX_SPAN.total_seconds())}s")
    dims = _selected(info, "dimensions")
    sums: dict[tuple, float] = defaultdict(float)
    for row in _rows(account["store"]):
        if _matches(row, flt):
            sums[tuple(row[d] for d in dims)] += row["minutesViewed"]
    groups = [{"dimensions": dict(zip(dims, key)), "sum": {"minutesViewed": round(total, 3)}}
              for key, total in sums.items() if total > 0]     # groups without views are left out
    for order in reversed(orderBy or []):
        field, _, direction = order.rpartition("_")
        value = (lambda g: g["sum"]["minutesViewed"]) if field == "sum_minutesViewed" else \
            (lambda g, f=field: g["dimensions"].get(f) or "")
        groups.sort(key=value, reverse=direction == "DESC")
    return groups[:limit]


def _accounts(_root, info, filter):  # noqa: A002
    tag = (filter or {}).get("accountTag")
    if tag != current_app.config["STREAM"]["account_id"]:
        raise GraphQLError("not authorized for that account")
    store = current_app.extensions["stream_store"]
    return [{"store": store, "streamMinutesViewedAdaptiveGroups": _groups}]


class _Root:
    @staticmethod
    def viewer(_info):
        return {"accounts": _accounts}


def _field_resolver(source, info, **args):
    value = source.get(info.field_name) if isinstance(source, dict) else getattr(source, info.field_name, None)
    if callable(value):
        return value(source, info, **args) if info.field_name != "viewer" else value(info)
    return value


# --- the endpoint ------------------------------------------------------------------------------

_calls: dict[str, deque] = defaultdict(deque)
_calls_lock = threading.Lock()


def _answer(status: int, errors: list[dict[str, Any]], data: Any = None):
    resp = jsonify(data=data, errors=errors)
    resp.status_code = status
    return resp


def _error(message: str, path: list[str] | None = None) -> dict[str, Any]:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"message": message, "path": path, "extensions": {"timestamp": stamp}}


def _rate_limited(token: str) -> bool:
    now = time.monotonic()
    with _calls_lock:
        q = _calls[token]
        while q and now - q[0] > WINDOW:
            q.popleft()
        if len(q) >= QUOTA:
            return True
        q.append(now)
        return False


@bp.post("/client/v4/graphql")
def graphql():
    auth = request.headers.get("Authorization", "")
    token = current_app.config["STREAM"]["api_token"]
    if not auth.startswith("Bearer ") or not secrets.compare_digest(auth[7:], token):
        return _answer(401, [_error("Unauthorized")])
    if _rate_limited(token):
        return _answer(429, [_error("rate limiter budget depleted, try again after 5 minutes")])
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return _answer(400, [_error("query contains error, please review it and retry")])
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return _answer(400, [_error("error parsing args: variables must be an object")])
    result = graphql_sync(SCHEMA, body["query"], root_value=_Root(), variable_values=variables,
                          field_resolver=_field_resolver)
    if result.errors:
        errors = [_error(e.message, [str(p) for p in e.path] if e.path else None) for e in result.errors]
        status = 403 if any(e["message"].startswith("not authorized") for e in errors) else 200
        return _answer(status, errors)           # one failing node stops the whole query (§4.1)
    return _answer(200, None, result.data)
