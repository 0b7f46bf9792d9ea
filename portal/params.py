"""The one parsing layer for what people and browsers send: ids in paths, whole numbers, pages and
decimals in queries and forms, text fields. Every route uses it, so hostile input (ids beyond the
database's range, `²` which passes str.isdigit() but not int(), NaN, NUL bytes) is a 400 or a 404
with words, never a 500 (issue 18.8; tests/unit/test_hostile_input.py, bench/hostile_input.py)."""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Mapping

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter, ValidationError

# Every id column is an INTEGER: PostgreSQL refuses a larger value with an error (not "no row"),
# SQLite cannot bind one past 64 bits. An id outside this range names nothing: a 404.
MAX_ID = 2**31 - 1
MAX_PAGE = 10**6
_WHOLE = re.compile(r"[0-9]{1,18}")              # ASCII only: "²", "١٢" and "１２" are not numbers here
_DECIMAL = re.compile(r"[0-9]{1,15}(?:[.,][0-9]{1,15})?")   # "85.5" or "85,5"; no exponent, no sign


class BadParam(ValueError):
    """A value in the URL or a form that cannot be read; the message is for people."""


class IdConverter(BaseConverter):
    """`<id:name>`: a row id, 1..MAX_ID in ASCII digits; anything else does not match (404)."""
    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        n = int(value)
        if not 1 <= n <= MAX_ID:
            raise ValidationError()
        return n

    def to_url(self, value) -> str:
        return str(int(value))


def _label(name: str) -> str:
    return name.replace("_", " ")


def whole(raw: str | None, name: str, *, lo: int = 0, hi: int = MAX_ID) -> int:
    """A whole number typed or linked, within lo..hi."""
    raw = (raw or "").strip()
    if not _WHOLE.fullmatch(raw):
        raise BadParam(f"'{_label(name)}' must be a whole number, got '{raw[:20]}'.")
    n = int(raw)
    if not lo <= n <= hi:
        raise BadParam(f"'{_label(name)}' must be between {lo:,} and {hi:,}.")
    return n


def int_arg(args: Mapping[str, str], name: str, default: int | None = None, *, lo: int = 0,
            hi: int = MAX_ID) -> int | None:
    raw = (args.get(name) or "").strip()
    return default if not raw else whole(raw, name, lo=lo, hi=hi)


def id_arg(args: Mapping[str, str], name: str) -> int | None:
    """An optional id filter (?assignment=12): a bad one is a 400, not an empty page."""
    return int_arg(args, name, lo=1)


def page_arg(args: Mapping[str, str], name: str = "page") -> int:
    return int_arg(args, name, 1, lo=1, hi=MAX_PAGE)


def finite(raw: str | None, name: str, *, lo: float = 0.0, hi: float = 1e9) -> float:
    """A decimal number of seconds or the like: finite, within lo..hi ("nan" and "inf" are not)."""
    try:
        value = float((raw or "").strip())
    except ValueError:
        raise BadParam(f"'{_label(name)}' must be a number, got '{(raw or '')[:20]}'.") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise BadParam(f"'{_label(name)}' must be a number between {lo:g} and {hi:g}.")
    return value


def plain_decimal(raw: str) -> Decimal | None:
    """A decimal as people type it: digits with a decimal point or comma ("85.5", "85,5"); not
    "1e2", not "+5", not "٣". None when it is not one."""
    raw = (raw or "").strip()
    if not _DECIMAL.fullmatch(raw):
        return None
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:        # cannot happen after the pattern; kept for safety
        return None


def has_nul(value: str) -> bool:
    return "\x00" in value


def _refuse_nul() -> None:
    """PostgreSQL refuses NUL in text, and no person types one: refuse it before any view runs."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for key, values in source.lists():
            if has_nul(key) or any(has_nul(v) for v in values):
                abort(400, f"The field '{key.replace(chr(0), '')[:40]}' contains a character that cannot be "
                           "stored (NUL). Remove it and try again.")


def init_params(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.before_request(_refuse_nul)
