"""flask commands: the portal's background jobs and one-off operations."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db


def init_cli(app: Flask) -> None:
    from .reports.cli import usage_cli

    app.cli.add_command(roster_cli)
    app.cli.add_command(usage_cli)


@click.group("roster")
def roster_cli():
    """Roles and enrolments from Moodle."""


@roster_cli.command("sync")
@click.option("--user", "usernames", multiple=True, help="Only these portal usernames.")
def roster_sync(usernames):
    """Refresh every known user's roles from Moodle (roles removed in Moodle go here too)."""
    from .models import User
    from .services.roster import Roster, moodle_client

    roster = Roster(moodle_client())
    query = select(User)
    if usernames:
        query = query.where(User.username.in_(usernames))
    users = db.session.scalars(query).all()
    for user in users:
        roster.sync_user(user)
        db.session.commit()
    click.echo(f"synced {len(users)} user(s)")
