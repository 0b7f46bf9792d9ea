"""flask usage collect | flask usage budgets: the daily usage job and a look at the budgets."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..extensions import db


@click.group("usage")
def usage_cli():
    """Stored and delivered minutes per course and day; budgets."""


@usage_cli.command("collect")
@click.option("--day", "day_", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The UTC day to fill (default: yesterday, the last whole day).")
@click.option("--days", type=click.IntRange(1, 3660), default=1, show_default=True,
              help="Fill this many days, ending with --day (a backfill).")
@click.option("--no-stream", is_flag=True, help="Stored minutes only; keep delivered minutes as they are.")
def collect_cmd(day_, days, no_stream):
    """Fill the usage table: stored minutes from the portal's submissions, delivered minutes from
    Stream's analytics when the Stream client offers them."""
    from ..services import usage

    last = day_.date() if day_ else datetime.now(timezone.utc).date() - timedelta(days=1)
    source = None if no_stream else usage.stream_delivered_source()
    if source is None and not no_stream:
        click.echo("no Stream analytics available: delivered minutes left as they are", err=True)
    for offset in range(days - 1, -1, -1):
        day = last - timedelta(days=offset)
        result = usage.collect(day, source(day) if source else None)
        db.session.commit()
        delivered = "-" if result.delivered_minutes is None else f"{result.delivered_minutes:.1f}"
        click.echo(f"{day}: {result.courses} course(s), {result.stored_minutes:.1f} min stored, "
                   f"{delivered} min delivered")


@usage_cli.command("budgets")
@click.option("--over", is_flag=True, help="Only companies whose projection passes their budget.")
def budgets_cmd(over):
    """This month's month-end projection per company against its budget."""
    from ..services import usage

    now = datetime.now(timezone.utc)
    rows = usage.budget_alerts(now) if over else usage.budget_status(now)
    for s in rows:
        budget = "no budget" if s.budget is None else f"budget ${s.budget}"
        flag = "  OVER" if s.over else ""
        click.echo(f"{s.company}: projected ${s.projected.total} ({budget}){flag}")

