"""Date arithmetic that SQLite and PostgreSQL spell differently, as SQL expressions.

Reports group and subtract timestamps inside the database (one GROUP BY, not a loop over rows);
these constructs compile to each dialect's own functions. Timestamps are UTC on both (SQLite holds
them as naive UTC text, PostgreSQL as timestamptz). They are chosen for speed on 100,000 rows:
PostgreSQL's date_part (a float) rather than EXTRACT (a numeric), date_trunc rather than to_char.
"""
from __future__ import annotations

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

UNITS = ("day", "week", "month")


class seconds_between(FunctionElement):
    """seconds_between(later, earlier): a float, NULL when either is NULL."""
    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"date_part('epoch', {later} - {earlier})"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


class _period_start(FunctionElement):
    type = Date()
    inherit_cache = True
    unit = ""


# One class per unit: the unit is part of the SQL, so it must be part of the statement cache key,
# and a class is the simplest key there is.
class _day_start(_period_start):
    name, unit, inherit_cache = "day_start", "day", True


class _week_start(_period_start):
    name, unit, inherit_cache = "week_start", "week", True


class _month_start(_period_start):
    name, unit, inherit_cache = "month_start", "month", True


_STARTS = {k.unit: k for k in (_day_start, _week_start, _month_start)}


def period_start(column, unit: str) -> _period_start:
    """The first UTC day of the day, week (Monday) or month that `column` falls in, as a date.
    Works on timestamps and on dates."""
    if unit not in _STARTS:
        raise ValueError(f"unit must be one of {UNITS}")
    return _STARTS[unit](column)


def _is_date(element) -> bool:
    # A DATE has no time zone to convert; DateTime is not a subclass of Date.
    return isinstance(next(iter(element.clauses)).type, Date)


@compiles(_period_start, "postgresql")
def _start_pg(element, compiler, **kw):
    column = compiler.process(next(iter(element.clauses)), **kw)
    if not _is_date(element):
        column = f"timezone('UTC', {column})"
    if element.unit == "day":
        return f"CAST({column} AS DATE)"
    return f"CAST(date_trunc('{element.unit}', {column}) AS DATE)"


@compiles(_period_start, "sqlite")
def _start_sqlite(element, compiler, **kw):
    column = compiler.process(next(iter(element.clauses)), **kw)
    if element.unit == "week":   # the Monday on or before: next Sunday (or today), six days back
        return f"date({column}, 'weekday 0', '-6 days')"
    if element.unit == "month":
        return f"date({column}, 'start of month')"
    return f"date({column})"
