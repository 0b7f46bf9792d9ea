"""CSV downloads: streamed row by row, quoted by the csv module, safe to open in a spreadsheet.

A cell that a spreadsheet would read as a formula (=, +, -, @, or a tab or carriage return that
some import paths strip first) is prefixed with an apostrophe, as OWASP advises against CSV
injection: a student named "=HYPERLINK(...)" stays text in the manager's Excel. Numbers are written
as numbers, so negative amounts are not mangled.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"          # Excel reads UTF-8 only when told so
FLUSH_EVERY = 200       # rows per chunk sent to the client


def safe_cell(value: Any) -> Any:
    """A value as it should appear in the file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")   # UTC, as everywhere in the portal
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file in chunks: the header first, then FLUSH_EVERY rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")   # RFC 4180
    writer.writerow([safe_cell(h) for h in header])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if n % FLUSH_EVERY == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return (cleaned or "export")[:120]


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A streamed download; `rows` is consumed while the response is sent, inside the request
    context (so a lazy database query keeps its session)."""
    resp = Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}.csv"'
    resp.headers["Cache-Control"] = "no-store"     # reports name people: not for shared caches
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
