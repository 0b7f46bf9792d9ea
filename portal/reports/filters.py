"""How report figures read: dollars, minutes, turnaround times, UTC times."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from . import bp


@bp.app_template_filter("usd")
def usd(amount: Decimal | None) -> str:
    return "—" if amount is None else f"${amount:,.2f}"


@bp.app_template_filter("whole_minutes")
def whole_minutes(minutes) -> str:
    from ..services.costs import whole_minutes as rounded
    return f"{rounded(minutes):,}"


@bp.app_template_filter("minutes")
def minutes(value) -> str:
    """Minutes used: whole from 10 on, one decimal below (a few short videos are not "0")."""
    if value and abs(float(value)) < 9.95:
        return f"{float(value):.1f}"
    return whole_minutes(value)


@bp.app_template_filter("turnaround")
def turnaround(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


@bp.app_template_filter("utc")
def utc(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
